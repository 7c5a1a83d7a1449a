ALTER TYPE "task_status" ADD VALUE 'RETRYING';--> statement-breakpoint
ALTER TABLE "fleets" ADD COLUMN "retry" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "retry" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "next_attempt_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "dead_lettered_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "tasks_next_attempt_idx" ON "tasks" ("next_attempt_at") WHERE "next_attempt_at" is not null;