// Who is calling: the authentication rule of every request with an access token, as a query of
// its own (authenticate) or as a condition that the request's own statement carries
// (callerIsLive), so that most authenticated requests take one database round trip.
import { eq, type Placeholder, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { preparedPerClient } from "../db/prepared";
import { type UserRow, users } from "../db/schema";
import { type FieldError, problems } from "../lib/problems";
import type { AccessClaims } from "../lib/tokens";

/**
 * The session rule, in one place: a session (refresh token family) is live while it exists and
 * none of its tokens is revoked. A successor issued by a refresh that raced the logout is then
 * dead too. Authentication and rotation both ask exactly this, through the PL/pgSQL function of
 * drizzle/0016_session_liveness.sql: PostgreSQL keeps its plan per connection instead of
 * planning the check anew in every statement, and one probe of refresh_tokens_session_idx answers
 * it, however many tokens the family has.
 */
export const familyIsLive = (familyId: SQL | string) => sql<boolean>`family_is_live(${familyId})`;

/** The caller, as the verified access token names them: who, in which role, version and session. */
export type Caller = Pick<AccessClaims, "sub" | "role" | "ver" | "sid">;

/** A caller's values, or the placeholders of a prepared statement that stand for them. */
type CallerValues = { [K in keyof Caller]: Caller[K] | Placeholder };

/** The placeholders of callerIsLive in a prepared statement, filled by callerParams. */
export const CALLER_PLACEHOLDERS: CallerValues = {
  sub: sql.placeholder("caller_sub"),
  role: sql.placeholder("caller_role"),
  ver: sql.placeholder("caller_ver"),
  sid: sql.placeholder("caller_sid"),
};

/** The values of CALLER_PLACEHOLDERS for one caller. */
export const callerParams = (caller: Caller) => ({
  caller_sub: caller.sub,
  caller_role: caller.role,
  caller_ver: caller.ver,
  caller_sid: caller.sid,
});

/**
 * The authentication rule as a condition any statement can carry: the user the token names
 * exists, is active and still has the token's version and role, and the session is live
 * (caller_is_live, drizzle/0016_session_liveness.sql, with family_is_live). The version moves
 * with every role change, so a live token's role is still the caller's. A request whose one
 * statement carries this needs no query of its own to authenticate: one round trip, not two.
 */
export const callerIsLive = (caller: CallerValues) =>
  sql<boolean>`caller_is_live(${callerArguments(caller)})`;

/**
 * The caller as the SQL functions that check them take it (caller_is_live, and read_user_as of
 * drizzle/0016_session_liveness.sql): who, version, role and session. No casts: PostgreSQL types
 * each value by the function's parameter, and a shorter statement is less to parse and copy.
 */
export const callerArguments = (caller: CallerValues) =>
  sql`${caller.sub}, ${caller.ver}, ${caller.role}, ${caller.sid}`;

const revoked = () => problems.invalidToken("The access token has been revoked.");

const authenticationQuery = preparedPerClient((db) =>
  db
    .select({
      user: users,
      sessionLive: sql<boolean>`${familyIsLive(sql`${CALLER_PLACEHOLDERS.sid}`)}`,
    })
    .from(users)
    .where(eq(users.id, CALLER_PLACEHOLDERS.sub))
    .limit(1)
    .prepare("authenticate"),
);

/**
 * The user an access token names, read with whether its session is still live in one query, so
 * a deleted, deactivated or revoked user is refused on the very next request.
 */
export async function authenticate(db: Db, caller: Caller): Promise<UserRow> {
  const [found] = await authenticationQuery(db).execute(callerParams(caller));
  if (
    !found?.sessionLive ||
    !found.user.active ||
    found.user.tokenVersion !== caller.ver ||
    found.user.role !== caller.role
  ) {
    throw revoked();
  }
  return found.user;
}

/** The 403 for what the caller's role does not allow, once their token is known to be live. */
export async function refusal(db: Db, caller: Caller, detail: string, fields?: FieldError[]) {
  await authenticate(db, caller);
  return problems.forbidden(detail, fields);
}

/**
 * For a statement that carried callerIsLive: refuses the request when the caller was not live.
 * `live` undefined means the statement returned no row to tell, so one more query asks.
 */
export async function assertCallerLive(db: Db, caller: Caller, live: boolean | undefined) {
  if (live === undefined) await authenticate(db, caller);
  else if (!live) throw revoked();
}
