CREATE TABLE "trust_policies" (
	"namespace" text NOT NULL,
	"environment" text NOT NULL,
	"mode" text NOT NULL,
	"keys" jsonb NOT NULL,
	"required" integer NOT NULL,
	"version" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL,
	CONSTRAINT "trust_policies_namespace_environment_pk" PRIMARY KEY("namespace","environment"),
	CONSTRAINT "trust_policies_mode_check" CHECK ("trust_policies"."mode" in ('enforce', 'warn', 'off')),
	CONSTRAINT "trust_policies_required_check" CHECK ("trust_policies"."required" >= 1)
);
--> statement-breakpoint
ALTER TABLE "trust_policies" ADD CONSTRAINT "trust_policies_namespace_namespaces_name_fk" FOREIGN KEY ("namespace") REFERENCES "public"."namespaces"("name") ON DELETE cascade ON UPDATE no action;