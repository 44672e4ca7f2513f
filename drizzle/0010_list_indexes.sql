-- Every statement is a no-op where its index is already as it should be, so that an operator with
-- large tables can build these indexes beforehand with CREATE INDEX CONCURRENTLY
-- (scripts/concurrent-indexes.sql, README "Deploying"): drizzle runs a migration in a transaction,
-- where a plain CREATE INDEX blocks writes to its table for the whole build.
DROP INDEX IF EXISTS "refresh_tokens_user_idx";--> statement-breakpoint
-- 0004 made security_events_at_idx on ("at") alone; one already rebuilt on ("at","id") stays.
DO $$ BEGIN
  IF (SELECT indnatts FROM pg_index WHERE indexrelid = to_regclass('security_events_at_idx')) = 1 THEN
    DROP INDEX "security_events_at_idx";
  END IF;
END $$;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "refresh_tokens_user_family_idx" ON "refresh_tokens" USING btree ("user_id","family_id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "security_events_type_at_idx" ON "security_events" USING btree ("type","at","id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "users_active_role_idx" ON "users" USING btree ("active","role");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "security_events_at_idx" ON "security_events" USING btree ("at","id");
