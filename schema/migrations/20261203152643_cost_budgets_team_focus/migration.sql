CREATE TYPE "budget_on_exceeded" AS ENUM('WAIT', 'FAIL');--> statement-breakpoint
CREATE TYPE "budget_period" AS ENUM('DAILY', 'MONTHLY');--> statement-breakpoint
CREATE TABLE "budgets" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"worker_id" uuid,
	"fleet_id" uuid,
	"period" "budget_period" NOT NULL,
	"limit" double precision NOT NULL,
	"on_exceeded" "budget_on_exceeded" DEFAULT 'WAIT'::"budget_on_exceeded" NOT NULL,
	"exceeded_period_start" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budgets_one_owner" CHECK (("worker_id" is null) <> ("fleet_id" is null))
);
--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "fleet_id" uuid;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "cost" double precision;--> statement-breakpoint
ALTER TABLE "teams" ADD COLUMN "focus" text;--> statement-breakpoint
CREATE UNIQUE INDEX "budgets_worker_period_key" ON "budgets" ("worker_id","period") WHERE "worker_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "budgets_fleet_period_key" ON "budgets" ("fleet_id","period") WHERE "fleet_id" is not null;--> statement-breakpoint
CREATE INDEX "runs_worker_finished_idx" ON "runs" ("worker_id","finished_at");--> statement-breakpoint
CREATE INDEX "runs_fleet_finished_idx" ON "runs" ("fleet_id","finished_at");--> statement-breakpoint
CREATE INDEX "runs_task_idx" ON "runs" ("task_id");--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_worker_id_workers_id_fkey" FOREIGN KEY ("worker_id") REFERENCES "workers"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_fleet_id_fleets_id_fkey" FOREIGN KEY ("fleet_id") REFERENCES "fleets"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_fleet_id_fleets_id_fkey" FOREIGN KEY ("fleet_id") REFERENCES "fleets"("id") ON DELETE SET NULL;