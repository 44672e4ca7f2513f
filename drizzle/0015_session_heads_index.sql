-- A no-op where the index exists already (built with CREATE INDEX CONCURRENTLY beforehand:
-- scripts/concurrent-indexes.sql, README "Deploying").
CREATE INDEX IF NOT EXISTS "refresh_tokens_user_family_unspent_idx" ON "refresh_tokens" USING btree ("user_id","family_id") WHERE "refresh_tokens"."spent_at" is null;
