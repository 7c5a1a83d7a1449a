CREATE TYPE "webhook_delivery_status" AS ENUM('PENDING', 'DELIVERED', 'FAILED');--> statement-breakpoint
CREATE TABLE "event_cursors" (
	"name" text PRIMARY KEY,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_schedules" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"worker_id" uuid NOT NULL,
	"action" text NOT NULL,
	"input" jsonb,
	"priority" "task_priority" DEFAULT 'NORMAL'::"task_priority" NOT NULL,
	"schedule" text NOT NULL,
	"time" text,
	"timezone" text NOT NULL,
	"cron" text NOT NULL,
	"next_run_at" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trigger_firings" (
	"trigger_id" uuid,
	"event_seq" bigint,
	"task_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "trigger_firings_pkey" PRIMARY KEY("trigger_id","event_seq")
);
--> statement-breakpoint
CREATE TABLE "triggers" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"filter" jsonb DEFAULT '{}' NOT NULL,
	"worker_id" uuid,
	"fleet_id" uuid,
	"action" text NOT NULL,
	"input_mapping" jsonb DEFAULT '{}' NOT NULL,
	"priority" "task_priority" DEFAULT 'NORMAL'::"task_priority" NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"webhook_id" uuid NOT NULL,
	"event_seq" bigint NOT NULL,
	"event_type" text NOT NULL,
	"status" "webhook_delivery_status" DEFAULT 'PENDING'::"webhook_delivery_status" NOT NULL,
	"attempts" jsonb DEFAULT '[]' NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"url" text NOT NULL,
	"secret" text NOT NULL,
	"event_types" text[] NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "worker_feedback" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"worker_id" uuid NOT NULL,
	"type" text NOT NULL,
	"rating" double precision NOT NULL,
	"strengths" text[] DEFAULT '{}'::text[] NOT NULL,
	"improvements" text[] DEFAULT '{}'::text[] NOT NULL,
	"goals" text[] DEFAULT '{}'::text[] NOT NULL,
	"from" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "worker_meetings" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"worker_id" uuid NOT NULL,
	"type" text NOT NULL,
	"duration_minutes" integer NOT NULL,
	"agenda" text[] DEFAULT '{}'::text[] NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "worker_messages" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"worker_id" uuid NOT NULL,
	"from" text NOT NULL,
	"subject" text NOT NULL,
	"body" text NOT NULL,
	"priority" "task_priority" DEFAULT 'NORMAL'::"task_priority" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "worker_role_changes" (
	"id" uuid PRIMARY KEY,
	"organization_id" uuid NOT NULL,
	"worker_id" uuid NOT NULL,
	"from_role" text NOT NULL,
	"to_role" text NOT NULL,
	"effective_date" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "schedule_id" uuid;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "scheduled_for" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "trigger_id" uuid;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "concurrency" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "location" text;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "start_date" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "onboarding" jsonb;--> statement-breakpoint
ALTER TABLE "workers" ADD COLUMN "offboarding" jsonb;--> statement-breakpoint
CREATE INDEX "task_schedules_due_idx" ON "task_schedules" ("next_run_at") WHERE "next_run_at" is not null;--> statement-breakpoint
CREATE INDEX "task_schedules_worker_idx" ON "task_schedules" ("worker_id");--> statement-breakpoint
CREATE INDEX "tasks_assignee_performance_idx" ON "tasks" ("assignee_id","status","completed_at","started_at","assigned_at","quality_score");--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_schedule_instant_key" ON "tasks" ("schedule_id","scheduled_for") WHERE "schedule_id" is not null;--> statement-breakpoint
CREATE INDEX "triggers_organization_type_idx" ON "triggers" ("organization_id","event_type");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_webhook_event_key" ON "webhook_deliveries" ("webhook_id","event_seq");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" ("next_attempt_at") WHERE "status" = 'PENDING';--> statement-breakpoint
CREATE INDEX "webhooks_organization_idx" ON "webhooks" ("organization_id","id");--> statement-breakpoint
CREATE INDEX "worker_feedback_worker_idx" ON "worker_feedback" ("worker_id","id");--> statement-breakpoint
CREATE INDEX "worker_meetings_worker_idx" ON "worker_meetings" ("worker_id","starts_at");--> statement-breakpoint
CREATE INDEX "worker_messages_worker_idx" ON "worker_messages" ("worker_id","id");--> statement-breakpoint
CREATE INDEX "worker_role_changes_worker_idx" ON "worker_role_changes" ("worker_id","id");--> statement-breakpoint
ALTER TABLE "task_schedules" ADD CONSTRAINT "task_schedules_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "task_schedules" ADD CONSTRAINT "task_schedules_worker_id_workers_id_fkey" FOREIGN KEY ("worker_id") REFERENCES "workers"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_schedule_id_task_schedules_id_fkey" FOREIGN KEY ("schedule_id") REFERENCES "task_schedules"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_trigger_id_triggers_id_fkey" FOREIGN KEY ("trigger_id") REFERENCES "triggers"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "trigger_firings" ADD CONSTRAINT "trigger_firings_trigger_id_triggers_id_fkey" FOREIGN KEY ("trigger_id") REFERENCES "triggers"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "trigger_firings" ADD CONSTRAINT "trigger_firings_task_id_tasks_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE SET NULL;--> statement-breakpoint
ALTER TABLE "triggers" ADD CONSTRAINT "triggers_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "triggers" ADD CONSTRAINT "triggers_worker_id_workers_id_fkey" FOREIGN KEY ("worker_id") REFERENCES "workers"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "triggers" ADD CONSTRAINT "triggers_fleet_id_fleets_id_fkey" FOREIGN KEY ("fleet_id") REFERENCES "fleets"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_webhook_id_webhooks_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "webhooks" ADD CONSTRAINT "webhooks_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "worker_feedback" ADD CONSTRAINT "worker_feedback_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "worker_feedback" ADD CONSTRAINT "worker_feedback_worker_id_workers_id_fkey" FOREIGN KEY ("worker_id") REFERENCES "workers"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "worker_meetings" ADD CONSTRAINT "worker_meetings_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "worker_meetings" ADD CONSTRAINT "worker_meetings_worker_id_workers_id_fkey" FOREIGN KEY ("worker_id") REFERENCES "workers"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "worker_messages" ADD CONSTRAINT "worker_messages_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "worker_messages" ADD CONSTRAINT "worker_messages_worker_id_workers_id_fkey" FOREIGN KEY ("worker_id") REFERENCES "workers"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "worker_role_changes" ADD CONSTRAINT "worker_role_changes_organization_id_organizations_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id");--> statement-breakpoint
ALTER TABLE "worker_role_changes" ADD CONSTRAINT "worker_role_changes_worker_id_workers_id_fkey" FOREIGN KEY ("worker_id") REFERENCES "workers"("id") ON DELETE CASCADE;