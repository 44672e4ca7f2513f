-- An authenticated read of one user (GET /users/me, GET /users/{id}) as one PL/pgSQL function,
-- the hottest statement of the API. The statement the Worker sends then names no table: Neon's
-- HTTP path sends every statement unprepared, and planning a statement over users (catalog
-- lookups, the planner) cost PostgreSQL more than executing it, where a PL/pgSQL function's
-- plans are kept per connection (BENCHMARKS.md, "PostgreSQL's CPU per request"). STABLE: it reads
-- with the calling statement's snapshot.
--
-- NULL when the caller is not live (caller_is_live, 0012: the request is refused); otherwise
-- {"user": ...} with the user's public columns and revision under their column names, or
-- {"user": null} when there is no such user. The columns are services/users.ts's read of a user
-- (publicUserColumns and the revision): a column added there is added here, in a new migration.
CREATE FUNCTION user_as(caller uuid, version integer, caller_role user_role, family uuid, target uuid)
RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF NOT caller_is_live(caller, version, caller_role, family) THEN
    RETURN NULL;
  END IF;
  RETURN json_build_object('user', (
    SELECT json_build_object('id', u.id, 'username', u.username, 'email', u.email,
      'first_name', u.first_name, 'last_name', u.last_name, 'role', u.role, 'active', u.active,
      'email_verified', u.email_verified, 'mfa_enabled', u.mfa_enabled,
      'created_at', u.created_at, 'updated_at', u.updated_at, 'revision', u.revision)
    FROM users u WHERE u.id = target));
END $$;
