ALTER TABLE "trust_policies" ADD COLUMN "roots" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "trust_policies" ADD COLUMN "identities" jsonb DEFAULT '[]'::jsonb NOT NULL;