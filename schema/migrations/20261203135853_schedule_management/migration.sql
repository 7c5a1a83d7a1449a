ALTER TABLE "task_schedules" ADD COLUMN "fleet_id" uuid;--> statement-breakpoint
ALTER TABLE "task_schedules" ADD COLUMN "paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "task_schedules" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "task_schedules" ALTER COLUMN "worker_id" DROP NOT NULL;--> statement-breakpoint
CREATE INDEX "task_schedules_fleet_idx" ON "task_schedules" ("fleet_id");--> statement-breakpoint
ALTER TABLE "task_schedules" ADD CONSTRAINT "task_schedules_fleet_id_fleets_id_fkey" FOREIGN KEY ("fleet_id") REFERENCES "fleets"("id") ON DELETE CASCADE;--> statement-breakpoint
ALTER TABLE "task_schedules" ADD CONSTRAINT "task_schedules_one_target" CHECK (("worker_id" is null) <> ("fleet_id" is null));