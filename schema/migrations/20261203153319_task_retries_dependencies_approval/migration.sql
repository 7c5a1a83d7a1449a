CREATE TYPE "prerequisite_failure" AS ENUM('FAIL', 'HOLD');--> statement-breakpoint
ALTER TYPE "task_status" ADD VALUE 'RETRYING';--> statement-breakpoint
ALTER TYPE "task_status" ADD VALUE 'BLOCKED';--> statement-breakpoint
ALTER TABLE "fleets" ADD COLUMN "retry" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "retry" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "next_attempt_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "dead_lettered_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "depends_on" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "on_prerequisite_failure" "prerequisite_failure" DEFAULT 'FAIL'::"prerequisite_failure" NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "requires_approval" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "approval" jsonb;--> statement-breakpoint
CREATE INDEX "tasks_depends_on_idx" ON "tasks" USING gin ("depends_on");--> statement-breakpoint
CREATE INDEX "tasks_next_attempt_idx" ON "tasks" ("next_attempt_at") WHERE "next_attempt_at" is not null;