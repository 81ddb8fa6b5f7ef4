CREATE TABLE "image_layers" (
	"manifest_id" bigint PRIMARY KEY NOT NULL,
	"digest" text NOT NULL,
	"chain_ids" text[] NOT NULL,
	"layer_count" integer NOT NULL,
	"top_chain_id" text NOT NULL,
	"base_name" text,
	"base_digest" text
);
--> statement-breakpoint
CREATE TABLE "image_packages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"digest" text NOT NULL,
	"type" text NOT NULL,
	"ecosystem" text,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"source_name" text,
	"source_version" text,
	"arch" text,
	"purl" text NOT NULL,
	"path" text NOT NULL,
	"layer" text,
	"licenses" jsonb
);
--> statement-breakpoint
CREATE TABLE "image_scans" (
	"digest" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"error" text,
	"os" jsonb,
	"platform" text,
	"vulndb_version" integer,
	"scanned_at" timestamp with time zone,
	"matched_at" timestamp with time zone,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "image_vulnerabilities" (
	"digest" text NOT NULL,
	"vulnerability_id" text NOT NULL,
	"package_id" bigint NOT NULL,
	"severity" text NOT NULL,
	"score" text,
	"fixed_version" text,
	CONSTRAINT "image_vulnerabilities_digest_vulnerability_id_package_id_pk" PRIMARY KEY("digest","vulnerability_id","package_id")
);
--> statement-breakpoint
CREATE TABLE "scan_jobs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"digest" text NOT NULL,
	"repository" text NOT NULL,
	"kind" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"run_after" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scan_jobs_digest_kind_key" UNIQUE("digest","kind")
);
--> statement-breakpoint
CREATE TABLE "vulndb_imports" (
	"id" serial PRIMARY KEY NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"imported_by" text NOT NULL,
	"source" text,
	"counts" jsonb
);
--> statement-breakpoint
CREATE TABLE "vulnerabilities" (
	"id" text PRIMARY KEY NOT NULL,
	"modified" timestamp with time zone NOT NULL,
	"withdrawn" timestamp with time zone,
	"aliases" jsonb NOT NULL,
	"summary" text,
	"severity" text NOT NULL,
	"score" text,
	"record" jsonb NOT NULL,
	"import_id" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "vulnerability_packages" (
	"vulnerability_id" text NOT NULL,
	"ecosystem" text NOT NULL,
	"ecosystem_base" text NOT NULL,
	"name" text NOT NULL,
	CONSTRAINT "vulnerability_packages_vulnerability_id_ecosystem_name_pk" PRIMARY KEY("vulnerability_id","ecosystem","name")
);
--> statement-breakpoint
CREATE TABLE "vulnerability_policies" (
	"namespace" text NOT NULL,
	"environment" text NOT NULL,
	"mode" text NOT NULL,
	"severity" text NOT NULL,
	"allowlist" jsonb NOT NULL,
	"version" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL,
	CONSTRAINT "vulnerability_policies_namespace_environment_pk" PRIMARY KEY("namespace","environment"),
	CONSTRAINT "vulnerability_policies_mode_check" CHECK ("vulnerability_policies"."mode" in ('enforce', 'warn', 'off'))
);
--> statement-breakpoint
ALTER TABLE "image_layers" ADD CONSTRAINT "image_layers_manifest_id_manifests_id_fk" FOREIGN KEY ("manifest_id") REFERENCES "public"."manifests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "image_packages" ADD CONSTRAINT "image_packages_digest_image_scans_digest_fk" FOREIGN KEY ("digest") REFERENCES "public"."image_scans"("digest") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "image_vulnerabilities" ADD CONSTRAINT "image_vulnerabilities_digest_image_scans_digest_fk" FOREIGN KEY ("digest") REFERENCES "public"."image_scans"("digest") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "image_vulnerabilities" ADD CONSTRAINT "image_vulnerabilities_package_id_image_packages_id_fk" FOREIGN KEY ("package_id") REFERENCES "public"."image_packages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vulnerability_packages" ADD CONSTRAINT "vulnerability_packages_vulnerability_id_vulnerabilities_id_fk" FOREIGN KEY ("vulnerability_id") REFERENCES "public"."vulnerabilities"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vulnerability_policies" ADD CONSTRAINT "vulnerability_policies_namespace_namespaces_name_fk" FOREIGN KEY ("namespace") REFERENCES "public"."namespaces"("name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "image_layers_top_idx" ON "image_layers" USING btree ("top_chain_id");--> statement-breakpoint
CREATE INDEX "image_layers_digest_idx" ON "image_layers" USING btree ("digest");--> statement-breakpoint
CREATE INDEX "image_layers_base_digest_idx" ON "image_layers" USING btree ("base_digest");--> statement-breakpoint
CREATE INDEX "image_packages_digest_idx" ON "image_packages" USING btree ("digest");--> statement-breakpoint
CREATE INDEX "image_packages_lookup_idx" ON "image_packages" USING btree ("ecosystem","name");--> statement-breakpoint
CREATE INDEX "scan_jobs_due_idx" ON "scan_jobs" USING btree ("run_after");--> statement-breakpoint
CREATE INDEX "vulnerability_packages_lookup_idx" ON "vulnerability_packages" USING btree ("ecosystem_base","name");