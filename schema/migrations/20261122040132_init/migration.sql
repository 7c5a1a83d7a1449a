CREATE TYPE "protocol_format" AS ENUM('WORKER');--> statement-breakpoint
CREATE TYPE "run_status" AS ENUM('QUEUED', 'RUNNING', 'WAITING_FOR_TOOL', 'COMPLETED', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "task_priority" AS ENUM('CRITICAL', 'HIGH', 'NORMAL', 'LOW');--> statement-breakpoint
CREATE TYPE "task_status" AS ENUM('PENDING', 'ASSIGNED', 'RUNNING', 'WAITING', 'COMPLETED', 'FAILED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "worker_availability" AS ENUM('AVAILABLE', 'WORKING', 'BUSY', 'OFFLINE');--> statement-breakpoint
CREATE TYPE "worker_lifecycle" AS ENUM('HIRED', 'ONBOARDING', 'ACTIVE', 'OFFBOARDED');--> statement-breakpoint
CREATE TABLE "events" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"organization_id" uuid NOT NULL,
	"type" text NOT NULL,
	"subject_id" uuid,
	"payload" jsonb DEFAULT '{}' NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "fleets" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"worker_template" jsonb NOT NULL,
	"scaling" jsonb NOT NULL,
	"sla" jsonb,
	"quotas" jsonb,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" uuid PRIMARY KEY,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "protocol_versions" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"protocol_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"source" text NOT NULL,
	"prompts" jsonb NOT NULL,
	"settings" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "protocols" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"format" "protocol_format" DEFAULT 'WORKER'::"protocol_format" NOT NULL,
	"latest_version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_events" (
	"run_id" uuid,
	"seq" integer,
	"organization_id" uuid NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_events_pkey" PRIMARY KEY("run_id","seq")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"protocol_id" uuid NOT NULL,
	"protocol_version_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"worker_id" uuid,
	"task_id" uuid,
	"status" "run_status" DEFAULT 'QUEUED'::"run_status" NOT NULL,
	"input" jsonb NOT NULL,
	"output" jsonb,
	"error" jsonb,
	"state" jsonb,
	"pending_tool_calls" jsonb DEFAULT '[]' NOT NULL,
	"usage" jsonb DEFAULT '{"inputTokens":0,"outputTokens":0,"totalTokens":0}' NOT NULL,
	"last_seq" integer DEFAULT 0 NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "shifts" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"fleet_id" uuid NOT NULL,
	"name" text NOT NULL,
	"start_time" text NOT NULL,
	"end_time" text NOT NULL,
	"days" text[] NOT NULL,
	"worker_count" integer NOT NULL,
	"timezone" text NOT NULL,
	"handoff" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"action" text NOT NULL,
	"input" jsonb,
	"priority" "task_priority" DEFAULT 'NORMAL'::"task_priority" NOT NULL,
	"status" "task_status" DEFAULT 'PENDING'::"task_status" NOT NULL,
	"due_date" timestamp with time zone,
	"required_skills" text[] DEFAULT '{}'::text[] NOT NULL,
	"assignee_id" uuid,
	"fleet_id" uuid,
	"project" text,
	"result" jsonb,
	"error" text,
	"quality_score" double precision,
	"run_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"assigned_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "teams" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"fleet_id" uuid NOT NULL,
	"name" text NOT NULL,
	"slots" jsonb DEFAULT '[]' NOT NULL,
	"workflow" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workers" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"persona" jsonb,
	"capabilities" text[] DEFAULT '{}'::text[] NOT NULL,
	"skills" jsonb DEFAULT '[]' NOT NULL,
	"responsibilities" text[] DEFAULT '{}'::text[] NOT NULL,
	"goals" jsonb,
	"kpis" jsonb DEFAULT '[]' NOT NULL,
	"model" text,
	"protocol_id" uuid,
	"lifecycle" "worker_lifecycle" DEFAULT 'HIRED'::"worker_lifecycle" NOT NULL,
	"availability" "worker_availability" DEFAULT 'OFFLINE'::"worker_availability" NOT NULL,
	"fleet_id" uuid,
	"team_id" uuid,
	"shift_id" uuid,
	"manager_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "events_organization_seq_idx" ON "events" ("organization_id","seq");--> statement-breakpoint
CREATE INDEX "events_subject_seq_idx" ON "events" ("subject_id","seq");--> statement-breakpoint
CREATE INDEX "events_type_seq_idx" ON "events" ("type","seq");--> statement-breakpoint
CREATE INDEX "fleets_organization_idx" ON "fleets" ("organization_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "protocol_versions_protocol_version_key" ON "protocol_versions" ("protocol_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "protocols_organization_slug_key" ON "protocols" ("organization_id","slug");--> statement-breakpoint
CREATE INDEX "runs_organization_idx" ON "runs" ("organization_id","id");--> statement-breakpoint
CREATE INDEX "runs_status_lease_idx" ON "runs" ("status","lease_expires_at");--> statement-breakpoint
CREATE INDEX "shifts_fleet_idx" ON "shifts" ("fleet_id");--> statement-breakpoint
CREATE INDEX "tasks_organization_idx" ON "tasks" ("organization_id","id");--> statement-breakpoint
CREATE INDEX "tasks_assignee_status_idx" ON "tasks" ("assignee_id","status");--> statement-breakpoint
CREATE INDEX "tasks_fleet_status_idx" ON "tasks" ("fleet_id","status");--> statement-breakpoint
CREATE INDEX "teams_fleet_idx" ON "teams" ("fleet_id");--> statement-breakpoint
CREATE INDEX "workers_organization_idx" ON "workers" ("organization_id","id");--> statement-breakpoint
CREATE INDEX "workers_fleet_idx" ON "workers" ("fleet_id");--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "fleets" ADD CONSTRAINT "fleets_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "protocol_versions" ADD CONSTRAINT "protocol_versions_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "protocol_versions" ADD CONSTRAINT "protocol_versions_protocol_id_protocols_id_fkey" FOREIGN KEY ("protocol_id") REFERENCES "protocols"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "protocols" ADD CONSTRAINT "protocols_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "run_events" ADD CONSTRAINT "run_events_run_id_runs_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "run_events" ADD CONSTRAINT "run_events_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_protocol_id_protocols_id_fkey" FOREIGN KEY ("protocol_id") REFERENCES "protocols"("id");--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_protocol_version_id_protocol_versions_id_fkey" FOREIGN KEY ("protocol_version_id") REFERENCES "protocol_versions"("id");--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_worker_id_workers_id_fkey" FOREIGN KEY ("worker_id") REFERENCES "workers"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_task_id_tasks_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "shifts" ADD CONSTRAINT "shifts_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "shifts" ADD CONSTRAINT "shifts_fleet_id_fleets_id_fkey" FOREIGN KEY ("fleet_id") REFERENCES "fleets"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_assignee_id_workers_id_fkey" FOREIGN KEY ("assignee_id") REFERENCES "workers"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_fleet_id_fleets_id_fkey" FOREIGN KEY ("fleet_id") REFERENCES "fleets"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "teams" ADD CONSTRAINT "teams_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "teams" ADD CONSTRAINT "teams_fleet_id_fleets_id_fkey" FOREIGN KEY ("fleet_id") REFERENCES "fleets"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "workers" ADD CONSTRAINT "workers_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "workers" ADD CONSTRAINT "workers_protocol_id_protocols_id_fkey" FOREIGN KEY ("protocol_id") REFERENCES "protocols"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "workers" ADD CONSTRAINT "workers_fleet_id_fleets_id_fkey" FOREIGN KEY ("fleet_id") REFERENCES "fleets"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "workers" ADD CONSTRAINT "workers_team_id_teams_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "workers" ADD CONSTRAINT "workers_shift_id_shifts_id_fkey" FOREIGN KEY ("shift_id") REFERENCES "shifts"("id") ON DELETE SET NULL;