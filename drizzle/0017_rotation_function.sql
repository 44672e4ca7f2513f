-- The refresh rotation (services/sessions.ts, rotateSession) as one PL/pgSQL function: the same
-- rules as the data-modifying CTE it replaces, whose planning (an update joined to users, the
-- session check, an insert fed by the update) cost PostgreSQL ten times its execution, anew for
-- every refresh over Neon's HTTP path, where a PL/pgSQL function's plans are kept per connection
-- (BENCHMARKS.md, "PostgreSQL's CPU per request").
--
-- Spends the presented token and issues its successor in the same family, or answers NULL when
-- the token cannot be spent (unknown, spent, revoked, expired, past the session's maximum age,
-- its user inactive or at another token version, its session not live): the caller then tells a
-- retry from a reuse. Of two concurrent uses only one update can match spent_at IS NULL (the
-- other waits for its row, then finds it spent), so a family never forks. The successor's idle
-- expiry slides (ttl_seconds from now) but never past the session's absolute end.
CREATE FUNCTION rotate_refresh_token(presented_hash text, successor_id uuid, successor_hash text,
  ttl_seconds integer, max_age_seconds integer, client_agent text, client_ip text)
RETURNS json LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  spent record;
BEGIN
  UPDATE refresh_tokens rt SET spent_at = now()
    FROM users u
    WHERE rt.token_hash = presented_hash
      AND rt.spent_at IS NULL AND rt.revoked_at IS NULL AND rt.expires_at > now()
      AND rt.session_started_at + make_interval(secs => max_age_seconds) > now()
      AND u.id = rt.user_id AND u.active AND u.token_version = rt.token_version
      AND family_is_live(rt.family_id)
    RETURNING rt.user_id, rt.family_id, rt.session_started_at, u.role, u.token_version INTO spent;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  INSERT INTO refresh_tokens (id, user_id, family_id, token_version, token_hash, expires_at,
      session_started_at, user_agent, ip)
    VALUES (successor_id, spent.user_id, spent.family_id, spent.token_version, successor_hash,
      least(now() + make_interval(secs => ttl_seconds),
        spent.session_started_at + make_interval(secs => max_age_seconds)),
      spent.session_started_at, client_agent, client_ip);
  RETURN json_build_object('user_id', spent.user_id, 'role', spent.role,
    'token_version', spent.token_version, 'family_id', spent.family_id);
END $$;
