CREATE TYPE "alert_direction" AS ENUM('ABOVE', 'BELOW');--> statement-breakpoint
CREATE TYPE "sla_kind" AS ENUM('RESPONSE', 'RESOLUTION');--> statement-breakpoint
CREATE TYPE "workflow_run_status" AS ENUM('RUNNING', 'COMPLETED', 'FAILED');--> statement-breakpoint
CREATE TABLE "fleet_alerts" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"fleet_id" uuid NOT NULL,
	"metric" text NOT NULL,
	"threshold" double precision NOT NULL,
	"direction" "alert_direction" DEFAULT 'ABOVE'::"alert_direction" NOT NULL,
	"channel" text NOT NULL,
	"webhook_id" uuid,
	"firing" boolean DEFAULT false NOT NULL,
	"last_value" double precision,
	"last_triggered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shift_handoffs" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"fleet_id" uuid NOT NULL,
	"from_shift_id" uuid,
	"to_shift_id" uuid NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"overlap_until" timestamp with time zone NOT NULL,
	"briefing" jsonb,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_sla_breaches" (
	"task_id" uuid,
	"kind" "sla_kind",
	"organization_id" uuid NOT NULL,
	"fleet_id" uuid NOT NULL,
	"target_seconds" integer NOT NULL,
	"detected_at" timestamp with time zone NOT NULL,
	CONSTRAINT "task_sla_breaches_pkey" PRIMARY KEY("task_id","kind")
);
--> statement-breakpoint
CREATE TABLE "team_members" (
	"worker_id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"team_id" uuid NOT NULL,
	"slot" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "team_workflow_runs" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"team_id" uuid NOT NULL,
	"status" "workflow_run_status" DEFAULT 'RUNNING'::"workflow_run_status" NOT NULL,
	"input" jsonb,
	"outputs" jsonb DEFAULT '{}' NOT NULL,
	"current_stage" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone NOT NULL,
	"completed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "team_workflow_stages" (
	"run_id" uuid,
	"stage_index" integer,
	"task_id" uuid,
	CONSTRAINT "team_workflow_stages_pkey" PRIMARY KEY("run_id","stage_index")
);
--> statement-breakpoint
CREATE INDEX "fleet_alerts_fleet_idx" ON "fleet_alerts" ("fleet_id");--> statement-breakpoint
CREATE UNIQUE INDEX "shift_handoffs_shift_start_key" ON "shift_handoffs" ("to_shift_id","starts_at");--> statement-breakpoint
CREATE INDEX "shift_handoffs_fleet_idx" ON "shift_handoffs" ("fleet_id","starts_at");--> statement-breakpoint
CREATE INDEX "task_sla_breaches_fleet_idx" ON "task_sla_breaches" ("fleet_id","detected_at");--> statement-breakpoint
CREATE INDEX "team_members_team_slot_idx" ON "team_members" ("team_id","slot");--> statement-breakpoint
CREATE INDEX "team_workflow_runs_team_idx" ON "team_workflow_runs" ("team_id","id");--> statement-breakpoint
CREATE INDEX "team_workflow_runs_running_idx" ON "team_workflow_runs" ("status");--> statement-breakpoint
CREATE INDEX "team_workflow_stages_task_idx" ON "team_workflow_stages" ("task_id");--> statement-breakpoint
ALTER TABLE "fleet_alerts" ADD CONSTRAINT "fleet_alerts_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "fleet_alerts" ADD CONSTRAINT "fleet_alerts_fleet_id_fleets_id_fkey" FOREIGN KEY ("fleet_id") REFERENCES "fleets"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "fleet_alerts" ADD CONSTRAINT "fleet_alerts_webhook_id_webhooks_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "shift_handoffs" ADD CONSTRAINT "shift_handoffs_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "shift_handoffs" ADD CONSTRAINT "shift_handoffs_fleet_id_fleets_id_fkey" FOREIGN KEY ("fleet_id") REFERENCES "fleets"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "shift_handoffs" ADD CONSTRAINT "shift_handoffs_from_shift_id_shifts_id_fkey" FOREIGN KEY ("from_shift_id") REFERENCES "shifts"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "shift_handoffs" ADD CONSTRAINT "shift_handoffs_to_shift_id_shifts_id_fkey" FOREIGN KEY ("to_shift_id") REFERENCES "shifts"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "task_sla_breaches" ADD CONSTRAINT "task_sla_breaches_task_id_tasks_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "task_sla_breaches" ADD CONSTRAINT "task_sla_breaches_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "task_sla_breaches" ADD CONSTRAINT "task_sla_breaches_fleet_id_fleets_id_fkey" FOREIGN KEY ("fleet_id") REFERENCES "fleets"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "team_members" ADD CONSTRAINT "team_members_worker_id_workers_id_fkey" FOREIGN KEY ("worker_id") REFERENCES "workers"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "team_members" ADD CONSTRAINT "team_members_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "team_members" ADD CONSTRAINT "team_members_team_id_teams_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "team_workflow_runs" ADD CONSTRAINT "team_workflow_runs_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "team_workflow_runs" ADD CONSTRAINT "team_workflow_runs_team_id_teams_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "team_workflow_stages" ADD CONSTRAINT "team_workflow_stages_run_id_team_workflow_runs_id_fkey" FOREIGN KEY ("run_id") REFERENCES "team_workflow_runs"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "team_workflow_stages" ADD CONSTRAINT "team_workflow_stages_task_id_tasks_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE SET NULL;