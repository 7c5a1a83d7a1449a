CREATE TABLE "fleet_retirements" (
	"worker_id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"fleet_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"requested_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "fleets" ADD COLUMN "balancing" jsonb DEFAULT '{"strategy":"LEAST_LOADED","skillMatching":{"required":[],"preferred":[]},"priorityRules":[]}' NOT NULL;--> statement-breakpoint
ALTER TABLE "fleets" ADD COLUMN "distributor" text;--> statement-breakpoint
ALTER TABLE "fleets" ADD COLUMN "resource_limits" jsonb;--> statement-breakpoint
ALTER TABLE "fleets" ADD COLUMN "round_robin_cursor" uuid;--> statement-breakpoint
ALTER TABLE "fleets" ADD COLUMN "last_scaled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "fleets" ADD COLUMN "last_scaling_decision" jsonb;--> statement-breakpoint
-- Hand-written: quotas were a {name: limit} object (per month); they become a list of FleetQuota.
UPDATE "fleets" SET "quotas" = COALESCE((SELECT jsonb_agg(jsonb_build_object('name', q.key, 'action', NULL, 'limit', q.value, 'period', 'MONTHLY')) FROM jsonb_each("quotas") q), '[]'::jsonb) WHERE "quotas" IS NULL OR jsonb_typeof("quotas") = 'object';--> statement-breakpoint
ALTER TABLE "fleets" ALTER COLUMN "quotas" SET DEFAULT '[]';--> statement-breakpoint
ALTER TABLE "fleets" ALTER COLUMN "quotas" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "fleet_retirements_fleet_idx" ON "fleet_retirements" ("fleet_id");--> statement-breakpoint
ALTER TABLE "fleet_retirements" ADD CONSTRAINT "fleet_retirements_worker_id_workers_id_fkey" FOREIGN KEY ("worker_id") REFERENCES "workers"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "fleet_retirements" ADD CONSTRAINT "fleet_retirements_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "fleet_retirements" ADD CONSTRAINT "fleet_retirements_fleet_id_fleets_id_fkey" FOREIGN KEY ("fleet_id") REFERENCES "fleets"("id") ON DELETE CASCADE;