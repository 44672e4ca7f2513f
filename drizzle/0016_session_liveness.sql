-- Less PostgreSQL work in every authenticated request (BENCHMARKS.md, "PostgreSQL's CPU per
-- request", sixth session): the session check in one index probe instead of two, the caller rule
-- inlined by the planner instead of called, and the read of one user in one statement.
--
-- A family's entries in refresh_tokens_session_idx come revoked first (revoked_at ascending, nulls
-- last), so the first one says whether any token of the session is revoked; it serves every
-- lookup by family too, so it replaces both indexes of 0000 and 0011. A no-op where it exists
-- already (built with CREATE INDEX CONCURRENTLY beforehand: scripts/concurrent-indexes.sql,
-- README "Deploying").
CREATE INDEX IF NOT EXISTS "refresh_tokens_session_idx" ON "refresh_tokens" USING btree ("family_id","revoked_at");--> statement-breakpoint
DROP INDEX IF EXISTS "refresh_tokens_family_idx";--> statement-breakpoint
DROP INDEX IF EXISTS "refresh_tokens_family_revoked_idx";--> statement-breakpoint
-- The session rule, unchanged: live while it has a token and none of its tokens is revoked.
CREATE OR REPLACE FUNCTION family_is_live(family uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
  first_unrevoked boolean;
BEGIN
  SELECT r.revoked_at IS NULL INTO first_unrevoked FROM refresh_tokens r
    WHERE r.family_id = family ORDER BY r.revoked_at LIMIT 1;
  RETURN first_unrevoked IS TRUE;
END $$;
--> statement-breakpoint
-- The caller rule over the caller's row: active, still at the token's version and role. A SQL
-- function of one expression, which the planner writes into the statement that calls it (no call
-- at run time), so that caller_is_live and read_user_as share the rule at no cost.
CREATE FUNCTION caller_row_is_live(active boolean, token_version integer, role user_role,
  version integer, caller_role user_role)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT active AND token_version = version AND role = caller_role
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION caller_is_live(caller uuid, version integer, caller_role user_role, family uuid)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM users u WHERE u.id = caller
      AND caller_row_is_live(u.active, u.token_version, u.role, version, caller_role))
    AND family_is_live(family);
END $$;
--> statement-breakpoint
-- GET /users/me and GET /users/{id}: the user's public columns and revision as a JSON object
-- (services/users.ts names them), '{}' when there is no such user, NULL when the caller is not
-- live (the request is refused). One statement in either case: a caller reading themselves is
-- checked on the very row that is answered; anyone else's row is joined to the caller's. It
-- succeeds user_as (0013), which answered {"user": ...} and checked the caller in statements of
-- its own; user_as stays for a Worker of the previous release still answering during a deploy,
-- and goes in a later migration.
CREATE FUNCTION read_user_as(caller uuid, version integer, caller_role user_role, family uuid, target uuid)
RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
  body json;
BEGIN
  IF target = caller THEN
    SELECT row_to_json(v) INTO body FROM (
      SELECT u.id, u.username, u.email, u.first_name, u.last_name, u.role, u.active,
        u.email_verified, u.mfa_enabled, u.created_at, u.updated_at, u.revision
      FROM users u WHERE u.id = caller
        AND caller_row_is_live(u.active, u.token_version, u.role, version, caller_role)) v;
  ELSE
    SELECT coalesce(row_to_json(v), '{}') INTO body
      FROM users c LEFT JOIN LATERAL (
        SELECT t.id, t.username, t.email, t.first_name, t.last_name, t.role, t.active,
          t.email_verified, t.mfa_enabled, t.created_at, t.updated_at, t.revision
        FROM users t WHERE t.id = target) v ON true
      WHERE c.id = caller
        AND caller_row_is_live(c.active, c.token_version, c.role, version, caller_role);
  END IF;
  IF body IS NULL OR NOT family_is_live(family) THEN
    RETURN NULL;
  END IF;
  RETURN body;
END $$;
