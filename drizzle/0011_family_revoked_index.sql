-- A no-op where the index exists already (built with CREATE INDEX CONCURRENTLY beforehand:
-- scripts/concurrent-indexes.sql, README "Deploying").
CREATE INDEX IF NOT EXISTS "refresh_tokens_family_revoked_idx" ON "refresh_tokens" USING btree ("family_id") WHERE "refresh_tokens"."revoked_at" is not null;
