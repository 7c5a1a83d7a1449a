DROP INDEX "events_organization_seq_idx";--> statement-breakpoint
DROP INDEX "events_subject_seq_idx";--> statement-breakpoint
DROP INDEX "events_type_seq_idx";--> statement-breakpoint
ALTER TABLE "event_cursors" ADD COLUMN "last_tx_id" xid8 DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "tx_id" xid8 DEFAULT pg_current_xact_id() NOT NULL;--> statement-breakpoint
UPDATE "event_cursors" SET "last_tx_id" = coalesce((SELECT "tx_id" FROM "events" WHERE "seq" <= "event_cursors"."last_seq" ORDER BY "seq" DESC LIMIT 1), '0');--> statement-breakpoint
CREATE INDEX "events_position_idx" ON "events" ("tx_id","seq");--> statement-breakpoint
CREATE INDEX "events_organization_position_idx" ON "events" ("organization_id","tx_id","seq");--> statement-breakpoint
CREATE INDEX "events_organization_type_position_idx" ON "events" ("organization_id","type","tx_id","seq");--> statement-breakpoint
CREATE INDEX "events_subject_position_idx" ON "events" ("subject_id","tx_id","seq");