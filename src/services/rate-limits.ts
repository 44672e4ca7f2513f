import { type SQL, sql } from "drizzle-orm";
import { deleteBatch } from "../db/batches";
import type { Db } from "../db/client";
import { authThrottles } from "../db/schema";
import type { Bindings, LimiterName } from "../env";
import { clientBucket } from "../lib/client";
import { problems } from "../lib/problems";

/** The window of every limiter binding in wrangler.toml, hence the Retry-After. */
const BINDING_WINDOW_SECONDS = 60;

/**
 * Counts the request against the client's IP (per Cloudflare location, Workers Rate Limiting)
 * and, when the request names an account, against that account too, so a botnet cannot spread
 * guesses at one account over many IPs. Callers run it before any password hashing.
 */
export async function enforceRateLimit(
  env: Bindings,
  name: LimiterName,
  client: { ip: string | undefined; account?: string },
): Promise<void> {
  // The configuration check refuses to serve without every limiter, so this never is undefined.
  const limiter = env[name] as RateLimit;
  const bucket = clientBucket(client.ip);
  const keys = [
    ...(bucket ? [`ip:${bucket}`] : []),
    ...(client.account ? [`account:${client.account.toLowerCase()}`] : []),
  ];
  const outcomes = await Promise.all(keys.map((key) => limiter.limit({ key })));
  if (outcomes.some((outcome) => !outcome.success)) {
    throw problems.rateLimited(BINDING_WINDOW_SECONDS);
  }
}

/**
 * Failures that protect an account, counted in Postgres so that every location sees the same
 * count: past `max` failures within `windowSeconds` the subject is refused until the window ends.
 */
const GUARDS = {
  /** Failed logins per account email (known or not, so the limit reveals nothing). */
  login: { max: 10, windowSeconds: 15 * 60 },
  /** Wrong current passwords per user (change-password, email change). */
  currentPassword: { max: 5, windowSeconds: 15 * 60 },
  /** Wrong admin keys at registration per client address. */
  adminKey: { max: 5, windowSeconds: 60 * 60 },
  /** Wrong two-factor codes per user, whichever mfa_token or endpoint they came through. */
  mfaCode: { max: 10, windowSeconds: 15 * 60 },
  /** Wrong codes per mfa_token (its jti): the token dies at the limit, as it does at its expiry. */
  mfaToken: { max: 5, windowSeconds: 5 * 60 },
} as const;

export type Guard = keyof typeof GUARDS;

const guardKey = (guard: Guard, subject: string) => `${guard}:${subject.toLowerCase()}`;

/**
 * Seconds until the subject may try again, or null while it is under its limit: a scalar
 * subquery, so a caller can read it in the statement it runs anyway.
 */
export function lockedForSeconds(guard: Guard, subject: string): SQL<number | null> {
  const { max, windowSeconds } = GUARDS[guard];
  return sql<number | null>`(select ceil(extract(epoch from ${authThrottles.windowStartedAt}
      + make_interval(secs => ${windowSeconds}) - now()))::int
    from ${authThrottles}
    where ${authThrottles.key} = ${guardKey(guard, subject)} and ${authThrottles.failures} >= ${max}
      and ${authThrottles.windowStartedAt} > now() - make_interval(secs => ${windowSeconds}))`;
}

/** Refuses with 429 while the subject is locked; `seconds` is what lockedForSeconds read. */
export function assertNotLocked(seconds: number | null | undefined): void {
  if (seconds !== null && seconds !== undefined) throw problems.rateLimited(Math.max(1, seconds));
}

/** Reads the lock of a subject on its own (where no statement runs before the check). */
export async function assertGuardOpen(db: Db, guard: Guard, subject: string): Promise<void> {
  const result = await db.execute<{ seconds: number | null }>(
    sql`select ${lockedForSeconds(guard, subject)} as seconds`,
  );
  assertNotLocked(result.rows[0]?.seconds);
}

/** The statement that counts one failure, starting a new window when the last one has ended. */
export function failureUpsert(guard: Guard, subject: string): SQL {
  const { windowSeconds } = GUARDS[guard];
  const current = sql`${authThrottles.windowStartedAt} > now() - make_interval(secs => ${windowSeconds})`;
  return sql`
    insert into ${authThrottles} (key, failures, window_started_at)
    values (${guardKey(guard, subject)}, 1, now())
    on conflict (key) do update set
      failures = case when ${current} then ${authThrottles.failures} + 1 else 1 end,
      window_started_at = case when ${current} then ${authThrottles.windowStartedAt} else now() end`;
}

/** The statement that uses the subject's whole allowance at once (a single-use mfa_token spent). */
export function exhaustUpsert(guard: Guard, subject: string): SQL {
  const { max } = GUARDS[guard];
  return sql`
    insert into ${authThrottles} (key, failures, window_started_at)
    values (${guardKey(guard, subject)}, ${max}, now())
    on conflict (key) do update set failures = ${max}, window_started_at = now()`;
}

/** Counts one failure of the subject. */
export async function recordFailure(db: Db, guard: Guard, subject: string): Promise<void> {
  await db.execute(failureUpsert(guard, subject));
}

/** The cron's share: windows that ended long ago count nothing. */
export async function deleteEndedThrottles(db: Db, limit: number): Promise<number> {
  const longest = Math.max(...Object.values(GUARDS).map((guard) => guard.windowSeconds));
  const ended = sql`${authThrottles.windowStartedAt} < now() - make_interval(secs => ${longest})`;
  return deleteBatch(db, authThrottles, ended, limit);
}
