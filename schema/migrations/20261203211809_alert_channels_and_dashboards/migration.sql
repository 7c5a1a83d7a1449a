CREATE TYPE "webhook_kind" AS ENUM('WEBHOOK', 'SLACK', 'EMAIL');--> statement-breakpoint
ALTER TABLE "fleets" ADD COLUMN "dashboard" jsonb;--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "kind" "webhook_kind" DEFAULT 'WEBHOOK'::"webhook_kind" NOT NULL;