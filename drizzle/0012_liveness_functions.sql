-- The liveness checks of every authenticated request and of the refresh rotation, as PL/pgSQL
-- functions: PostgreSQL keeps a PL/pgSQL function's plans per connection, where the same checks
-- written as subqueries are planned anew with every statement (Neon's HTTP path sends each
-- statement unprepared). STABLE: they read with the calling statement's snapshot, as the
-- subqueries they replace did.
--
-- A session (refresh-token family) is live while it has a token and none of its tokens is
-- revoked: the second probe is one lookup in refresh_tokens_family_revoked_idx, however many
-- tokens the family has gathered.
CREATE FUNCTION family_is_live(family uuid) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = family)
    AND NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = family AND revoked_at IS NOT NULL);
END $$;
--> statement-breakpoint
-- The caller an access token names is live: the user exists, is active, still has the token's
-- version and role, and the token's session is live.
CREATE FUNCTION caller_is_live(caller uuid, version integer, caller_role user_role, family uuid)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM users WHERE id = caller AND active AND token_version = version
      AND role = caller_role)
    AND family_is_live(family);
END $$;
