-- Before `npm run db:migrate` takes a database with large tables past migrations 0010, 0011, 0015
-- and 0016: builds their indexes with CREATE INDEX CONCURRENTLY, which does not block writes, so
-- that the migrations find them in place and do nothing (they only create what does not exist
-- yet; 0016 then only drops the two indexes its own replaces). Run it with autocommit
-- (CONCURRENTLY cannot run inside a transaction), e.g.
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f scripts/concurrent-indexes.sql
-- Only for a database that has not had 0010_list_indexes yet; one that has needs only the
-- statements of the later migrations it has not had (0015's is the third, 0016's the last), see
-- README "Deploying".
CREATE INDEX CONCURRENTLY IF NOT EXISTS "refresh_tokens_user_family_idx" ON "refresh_tokens" USING btree ("user_id","family_id");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "refresh_tokens_family_revoked_idx" ON "refresh_tokens" USING btree ("family_id") WHERE "refresh_tokens"."revoked_at" is not null;
CREATE INDEX CONCURRENTLY IF NOT EXISTS "refresh_tokens_user_family_unspent_idx" ON "refresh_tokens" USING btree ("user_id","family_id") WHERE "refresh_tokens"."spent_at" is null;
CREATE INDEX CONCURRENTLY IF NOT EXISTS "security_events_type_at_idx" ON "security_events" USING btree ("type","at","id");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_active_role_idx" ON "users" USING btree ("active","role");
-- security_events_at_idx goes from ("at") to ("at","id"): the new one is built under another name,
-- then takes the old one's place.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "security_events_at_id_idx" ON "security_events" USING btree ("at","id");
DROP INDEX CONCURRENTLY IF EXISTS "security_events_at_idx";
ALTER INDEX "security_events_at_id_idx" RENAME TO "security_events_at_idx";
-- refresh_tokens_user_family_idx serves everything this one did.
DROP INDEX CONCURRENTLY IF EXISTS "refresh_tokens_user_idx";
-- 0016: one probe answers whether a session is live; it replaces refresh_tokens_family_idx and
-- refresh_tokens_family_revoked_idx, which the migration drops.
CREATE INDEX CONCURRENTLY IF NOT EXISTS "refresh_tokens_session_idx" ON "refresh_tokens" USING btree ("family_id","revoked_at");
