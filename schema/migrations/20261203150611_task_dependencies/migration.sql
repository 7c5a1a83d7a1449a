CREATE TYPE "prerequisite_failure" AS ENUM('FAIL', 'HOLD');--> statement-breakpoint
ALTER TYPE "task_status" ADD VALUE 'BLOCKED';--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "depends_on" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "on_prerequisite_failure" "prerequisite_failure" DEFAULT 'FAIL'::"prerequisite_failure" NOT NULL;--> statement-breakpoint
CREATE INDEX "tasks_depends_on_idx" ON "tasks" USING gin ("depends_on");