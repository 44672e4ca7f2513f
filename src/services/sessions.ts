import { and, eq, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { deleteBatch } from "../db/batches";
import type { Db } from "../db/client";
import { isForeignKeyViolation } from "../db/errors";
import { preparedPerClient, preparedSql } from "../db/prepared";
import { passwordResetTokens, type Role, refreshTokens, type UserRow, users } from "../db/schema";
import type { Config } from "../env";
import type { ClientInfo } from "../lib/client";
import { derivedToken, randomToken, sha256Hex } from "../lib/crypto";
import { writeMetric } from "../lib/metrics";
import { problems } from "../lib/problems";
import { signAccessToken } from "../lib/tokens";
import { assertCallerLive, type Caller, callerIsLive, familyIsLive } from "./caller";
import { type EventContext, insertEvents, recorded, runRecorded } from "./events";
import { fetchPage, type ListSource, type Page, type PageRequest } from "./lists";

type SessionUser = Pick<UserRow, "id" | "role" | "tokenVersion">;

/** The factors a login took, as its `login.succeeded` event records them. */
export type LoginMethod = "password" | "password+totp" | "passkey";

/** What a started or continued session hands the client. */
export type SessionTokens = { accessToken: string; expiresIn: number; refreshToken: string };

async function sessionTokens(
  config: Config,
  user: SessionUser,
  familyId: string,
  refreshToken: string,
): Promise<SessionTokens> {
  const access = await signAccessToken(user, config, familyId);
  return { accessToken: access.token, expiresIn: access.expiresIn, refreshToken };
}

/**
 * Starts a session: a new refresh token family, and an access token bound to it. Its first
 * refresh token lives REFRESH_TOKEN_TTL, or SESSION_MAX_AGE when that is shorter. `alongside`, a
 * statement that belongs with it (a login's attempt given back), runs in the same round trip.
 */
export async function startSession(
  db: Db,
  config: Config,
  user: SessionUser,
  context: EventContext,
  /**
   * What starting it means for the log: a login (`login.succeeded`, with the factors it took as
   * its `method`), or nothing more (a password change's own session).
   */
  login: LoginMethod | undefined,
  alongside?: SQL,
) {
  const refreshToken = randomToken();
  const familyId = uuidv7();
  const insert = db
    .insert(refreshTokens)
    .values({
      id: uuidv7(),
      userId: user.id,
      familyId,
      tokenVersion: user.tokenVersion,
      tokenHash: await sha256Hex(refreshToken),
      expiresAt: new Date(
        Date.now() + Math.min(config.REFRESH_TOKEN_TTL, config.SESSION_MAX_AGE) * 1000,
      ),
      userAgent: context.userAgent,
      ip: context.ip,
    })
    .returning({ userId: refreshTokens.userId });
  const statement = login
    ? db.execute(
        recorded(
          insert,
          context,
          sql`select user_id, 'login.succeeded', jsonb_build_object('method', ${login}::text)
            from changed`,
        ),
      )
    : insert;
  try {
    if (alongside) await db.batch([db.execute(alongside), statement]);
    else await statement;
  } catch (error) {
    // The user was deleted while logging in: no account, so no session (not a 500).
    if (isForeignKeyViolation(error)) throw problems.invalidCredentials();
    throw error;
  }
  return sessionTokens(config, user, familyId, refreshToken);
}

type RotatedRow = { user_id: string; role: Role; token_version: number; family_id: string };

/**
 * Spends a refresh token and issues its successor in the same family, in one statement: of two
 * concurrent uses only one can match `spent_at IS NULL`, so a family never forks. A family with
 * any revoked token is over, and so is one whose login was SESSION_MAX_AGE ago: the successor's
 * idle expiry slides (REFRESH_TOKEN_TTL from now) but never past that absolute end. The successor
 * is derived from the spent token with a server key (only hashes are stored), so a retry inside
 * the reuse window can be handed the very same one. The statement is the PL/pgSQL function
 * rotate_refresh_token (drizzle/0017_rotation_function.sql), whose plans PostgreSQL keeps per
 * connection: planning the same rules as one statement cost it ten times their execution.
 */
export async function rotateSession(db: Db, config: Config, presented: string, client: ClientInfo) {
  const presentedHash = await sha256Hex(presented);
  const next = await derivedToken(config.JWT_SECRET, "refresh-successor", presented);
  const nextHash = await sha256Hex(next);
  const rows = await rotation(db).execute({
    presented: presentedHash,
    id: uuidv7(),
    next: nextHash,
    ttl: config.REFRESH_TOKEN_TTL,
    max_age: config.SESSION_MAX_AGE,
    user_agent: client.userAgent ?? null,
    ip: client.ip ?? null,
  });
  // NULL when the token could not be spent: a retry or a reuse, or nothing to refresh.
  const rotated = rows.rows[0]?.rotated as RotatedRow | null | undefined;
  const row = rotated ?? (await retryOrRevoke(db, config, presentedHash, nextHash, client));
  if (!row) throw problems.invalidRefreshToken();
  return sessionTokens(
    config,
    { id: row.user_id, role: row.role, tokenVersion: Number(row.token_version) },
    row.family_id,
    next,
  );
}

/** rotateSession's statement, prepared once per client: a refresh only fills in its values. */
const rotation = preparedPerClient((db) => {
  const value = (name: string) => sql.placeholder(name);
  return preparedSql(
    db,
    sql`select rotate_refresh_token(${value("presented")}, ${value("id")}, ${value("next")},
      ${value("ttl")}, ${value("max_age")}, ${value("user_agent")}, ${value("ip")}) as rotated`,
  );
});

/**
 * A spent token presented again. Within the reuse window, while its successor is still unspent
 * and the session live, it is a client's own retry (or a racing tab): the same successor comes
 * back, never a second live one. Anything else means two parties hold the family: the whole
 * family ends, so the thief's and the victim's sessions both stop. One statement, so a retry
 * and a revocation cannot both happen.
 */
async function retryOrRevoke(
  db: Db,
  config: Config,
  presentedHash: string,
  nextHash: string,
  client: ClientInfo,
): Promise<RotatedRow | undefined> {
  const rows = await db.execute<RotatedRow & { reused: boolean }>(sql`
    with presented as (
      select family_id, spent_at from ${refreshTokens}
      where token_hash = ${presentedHash} and spent_at is not null
    ), retry as (
      select s.user_id, s.family_id, u.role, u.token_version
      from ${refreshTokens} s
      join presented p on p.family_id = s.family_id
      join ${users} u on u.id = s.user_id
      where s.token_hash = ${nextHash}
        and p.spent_at > now() - make_interval(secs => ${config.REFRESH_REUSE_WINDOW})
        and s.spent_at is null and s.revoked_at is null and s.expires_at > now()
        and u.active and u.token_version = s.token_version
        and ${familyIsLive(sql`s.family_id`)}
    ), revoked as (
      update ${refreshTokens} set revoked_at = now()
      where revoked_at is null and family_id in (select family_id from presented)
        and not exists (select 1 from retry)
      returning user_id, family_id
    ), recorded as (
      ${insertEvents(
        { ...client, actorId: null },
        sql`select distinct user_id, 'refresh.reuse_detected',
          jsonb_build_object('session_id', family_id) from revoked`,
      )}
    )
    select user_id, role, token_version, family_id, false as reused from retry
    union all
    select null, null, null, null, true where exists (select 1 from revoked)`);
  const row = rows.rows[0];
  if (!row?.reused) return row;
  writeMetric("refresh_reuse");
  return undefined;
}

/**
 * Ends the caller's session (the family their access token belongs to) and, when given, the
 * family of a refresh token, if that token is the caller's own: someone else's or an unknown
 * token changes nothing more. One statement, which also authenticates the caller.
 */
export async function endSession(
  db: Db,
  caller: Caller,
  session: { refreshToken?: string },
  context: EventContext,
) {
  const families = session.refreshToken
    ? or(
        eq(refreshTokens.familyId, caller.sid),
        inArray(
          refreshTokens.familyId,
          db
            .select({ familyId: refreshTokens.familyId })
            .from(refreshTokens)
            .where(eq(refreshTokens.tokenHash, await sha256Hex(session.refreshToken))),
        ),
      )
    : eq(refreshTokens.familyId, caller.sid);
  const ended = await revokeFamilies(
    db,
    and(families, eq(refreshTokens.userId, caller.sub), callerIsLive(caller)),
    context,
  );
  // A live caller's own session was live, so it ended: none means the token was not live.
  if (ended === 0) await assertCallerLive(db, caller, undefined);
}

/**
 * Revokes the live families among the refresh tokens `where` selects, recording one
 * session.ended event per family; answers how many sessions ended.
 */
async function revokeFamilies(db: Db, where: SQL | undefined, context: EventContext) {
  const rows = await runRecorded(
    db,
    db
      .update(refreshTokens)
      .set({ revokedAt: sql`now()` })
      .where(and(where, isNull(refreshTokens.revokedAt)))
      .returning({ userId: refreshTokens.userId, familyId: refreshTokens.familyId }),
    context,
    sql`select distinct user_id, 'session.ended', jsonb_build_object('session_id', family_id)
      from changed`,
  );
  return new Set(rows.map((row) => row.family_id)).size;
}

/**
 * Ends every session and access token of the user by moving their token version, in one
 * statement that also authenticates the caller.
 */
export async function endAllSessions(
  db: Db,
  caller: Caller,
  userId: string,
  context: EventContext,
) {
  const [row] = await runRecorded(
    db,
    db
      .update(users)
      .set({ tokenVersion: sql`${users.tokenVersion} + 1` })
      .where(and(eq(users.id, userId), callerIsLive(caller)))
      .returning({ id: users.id }),
    context,
    sql`select id, 'session.ended', '{"scope":"all"}'::jsonb from changed`,
  );
  if (!row) {
    await assertCallerLive(db, caller, undefined);
    throw problems.notFound("user");
  }
}

/** A session as its user sees it. */
export type SessionInfo = {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  userAgent: string | null;
  ip: string | null;
};

/** What a cursor of a session list is bound to: whose sessions. */
export const sessionListBinding = (userId: string) => ["sessions", userId] as const;

/**
 * A page of the user's live sessions, newest first, and their total, with the caller's
 * authentication, in one round trip (services/lists.ts). A live session is a family none of whose
 * tokens is revoked, with an unspent token that has not expired and was issued under the user's
 * current token version. Sessions are ordered by id: a family id is a UUIDv7, which orders them
 * by when they started and never moves (the last refresh would, under a client's paging).
 */
export async function listSessions(
  db: Db,
  caller: Caller,
  userId: string,
  request: PageRequest,
  options: { mustExist?: boolean } = {},
): Promise<Page<SessionInfo>> {
  const page = await fetchPage(
    db,
    caller,
    { shape: "sessions", source: sessionListSource, values: { user_id: userId } },
    request,
  );
  // No row may mean an unknown user as well as no session: that takes a second query.
  if (options.mustExist && page.rows.length === 0) {
    const [user] = await db.select({ id: users.id }).from(users).where(eq(users.id, userId));
    if (!user) throw problems.notFound("user");
  }
  return {
    ...page,
    rows: page.rows.map((row) => ({
      id: String(row.id),
      createdAt: refreshTokens.createdAt.mapFromDriverValue(String(row.created_at)) as Date,
      lastUsedAt: refreshTokens.createdAt.mapFromDriverValue(String(row.last_used_at)) as Date,
      userAgent: row.user_agent as string | null,
      ip: row.ip as string | null,
    })),
  };
}

/**
 * The live sessions as each family's head alone, so a list reads one token per session, never
 * the family's history (a session refreshed every 15 minutes gathers thousands of spent tokens).
 * A family never has more than one unspent token, its newest: it starts with one, and a refresh
 * spends that one and inserts its successor in one statement (rotateSession), which only the
 * unspent token can match; a retry hands back the existing successor, and a revocation or the
 * cron's deletion inserts nothing. So the head answers for the whole family:
 * - an unspent, unexpired token under the user's version is the head, or nothing is: tokens
 *   carry their family's version, since a refresh only succeeds under the user's current one;
 * - no token of the family is revoked (family_is_live: a probe of refresh_tokens_session_idx
 *   per head), which also leaves out the family a logout revoked while a racing refresh
 *   inserted its successor. As a function, not a NOT EXISTS: the planner made that an anti join
 *   that merged the user's heads with the revoked index from its start, reading the whole
 *   table's revoked tokens up to the user's newest family;
 * - the head carries the session's start (session_started_at, the login's created_at, which
 *   stays even once the cron has deleted the login's expired token), and its own created_at,
 *   user agent and IP are the last use's.
 * refresh_tokens_user_family_unspent_idx holds just the heads, in the list's order.
 */
function sessionListSource(): ListSource {
  const user = sql`${sql.placeholder("user_id")}::uuid`;
  return {
    select: (columns, where) => sql`
      select ${columns} from ${refreshTokens} rt
      where rt.user_id = ${user} and rt.spent_at is null${where ? sql` and ${where}` : sql``}
        and rt.expires_at > now()
        and rt.token_version = (select u.token_version from ${users} u where u.id = ${user})
        and ${familyIsLive(sql`rt.family_id`)}`,
    columns: sql`rt.family_id as id, rt.session_started_at as created_at,
      rt.created_at as last_used_at, rt.user_agent, rt.ip`,
    key: sql`rt.family_id`,
    keyType: "uuid",
    id: sql`rt.family_id`,
    uniqueKey: true,
    descending: true,
    filtered: false,
    // refresh_tokens_user_family_unspent_idx: the user's live heads in family order.
    countInOrder: true,
  };
}

/**
 * Ends one of the caller's sessions by its id, in one statement that also authenticates them;
 * false when they have no such live session.
 */
export async function endSessionById(
  db: Db,
  caller: Caller,
  sessionId: string,
  context: EventContext,
): Promise<boolean> {
  const ended = await revokeFamilies(
    db,
    and(
      eq(refreshTokens.familyId, sessionId),
      eq(refreshTokens.userId, caller.sub),
      callerIsLive(caller),
    ),
    context,
  );
  if (ended === 0) await assertCallerLive(db, caller, undefined);
  return ended > 0;
}

/**
 * The cron's share of sessions, per call at most `limit` revoked families and `limit` expired
 * rows: refresh tokens that can never be used again. Revoked families go a day after, each whole
 * in one statement, never part of one: a row that escaped the revocation (issued by a refresh
 * racing the logout) is dead only through its family's revoked row, and left behind alone it
 * would make the family look live. Spent rows stay until they expire, so a replay is recognised
 * for as long as the token could have been used.
 */
export async function deleteDeadRefreshTokens(db: Db, limit: number): Promise<number> {
  const revokedFamilies = await db.execute(sql`
    delete from ${refreshTokens} where family_id in (
      select distinct family_id from ${refreshTokens}
      where revoked_at < now() - interval '1 day'
      limit ${limit})`);
  const expired = await db.execute(sql`
    delete from ${refreshTokens} where id in (
      select rt.id from ${refreshTokens} rt
      where rt.expires_at < now() and not exists (
        select 1 from ${refreshTokens} family
        where family.family_id = rt.family_id and family.revoked_at is not null)
      limit ${limit})`);
  return (revokedFamilies.rowCount ?? 0) + (expired.rowCount ?? 0);
}

/** Expired password reset tokens, at most `limit` per call (the cron's). */
export function deleteExpiredResets(db: Db, limit: number): Promise<number> {
  const expired = sql`${passwordResetTokens.expiresAt} < now()`;
  return deleteBatch(db, passwordResetTokens, expired, limit);
}
