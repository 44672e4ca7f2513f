import { type SQL, sql } from "drizzle-orm";
import { deleteBatch } from "../db/batches";
import type { Db } from "../db/client";
import { authThrottles } from "../db/schema";
import type { Bindings, LimiterName } from "../env";
import { clientBucket } from "../lib/client";
import { countRateLimited } from "../lib/metrics";
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
    countRateLimited(name);
    throw problems.rateLimited(BINDING_WINDOW_SECONDS);
  }
}

/**
 * Attempts that protect an account, counted in Postgres so that every location sees the same
 * count: at most `max` checked attempts per subject within `windowSeconds`, then 429 until the
 * window ends. An attempt is counted (reserved) before the check it guards, so a burst of
 * concurrent requests gets no more checks than a sequence of them; a right answer gives its
 * attempt back (release), so what remains counted are the wrong ones and those in flight.
 */
const GUARDS = {
  /** Logins per account email (known or not, so the limit reveals nothing). */
  login: { max: 10, windowSeconds: 15 * 60 },
  /** Current passwords per user (change-password, email change, MFA setup and disable). */
  currentPassword: { max: 5, windowSeconds: 15 * 60 },
  /** Admin keys at registration per client address. */
  adminKey: { max: 5, windowSeconds: 60 * 60 },
  /** Two-factor codes per user, whichever mfa_token or endpoint they came through. */
  mfaCode: { max: 10, windowSeconds: 15 * 60 },
  /**
   * Codes per mfa_token (its jti): the token dies at the limit, as it does at its expiry. Its
   * window outlasts the token (5 minutes from its first code, the token 5 from the login).
   */
  mfaToken: { max: 5, windowSeconds: 5 * 60 },
} as const;

export type Guard = keyof typeof GUARDS;

/** The key of a subject's row, for a statement that reads or spends it (an mfa_token's). */
export const throttleKey = (guard: Guard, subject: string) => `${guard}:${subject.toLowerCase()}`;

/**
 * The count of an mfa_token that completed its login: over any limit, so the token is refused
 * from then on, and apart from every count a reservation can reach (a refused reservation adds
 * nothing past `max + 1`), so a statement can tell "spent" from "at its limit".
 */
export const SPENT = 1_000_000;

/** The condition that the subject's row counts in the current window. */
const inWindow = (guard: Guard) =>
  sql`${authThrottles.windowStartedAt} > now() - make_interval(secs => ${GUARDS[guard].windowSeconds})`;

/**
 * One reservation: counts the attempt (a new window when the last one has ended) and answers, as
 * `seconds`, how long the subject stays refused when the new count is over the limit, else null.
 * A count already over the limit stays as it is. `when` false reserves nothing (no row).
 */
function reserveUpsert(guard: Guard, subject: string, when?: SQL): SQL {
  const { max, windowSeconds } = GUARDS[guard];
  const current = inWindow(guard);
  return sql`
    insert into ${authThrottles} (key, failures, window_started_at)
    select ${throttleKey(guard, subject)}, 1, now() ${when ? sql`where ${when}` : sql``}
    on conflict (key) do update set
      failures = case when not ${current} then 1
        when ${authThrottles.failures} > ${max} then ${authThrottles.failures}
        else ${authThrottles.failures} + 1 end,
      window_started_at = case when ${current} then ${authThrottles.windowStartedAt} else now() end
    returning case when ${authThrottles.failures} > ${max}
      then greatest(1, ceil(extract(epoch from ${authThrottles.windowStartedAt}
        + make_interval(secs => ${windowSeconds}) - now())))::int end as seconds`;
}

/** What a reservation answers: per guard, the seconds it stays refused, or null when granted. */
export type Refusals = Partial<Record<Guard, number | null>>;

/**
 * The statement that reserves one attempt of each subject, in order, in one statement: count and
 * compare at once, so concurrent requests are serialised on the subject's row. A later subject is
 * only counted when every earlier one was granted (a dead mfa_token costs its user nothing), and
 * nothing at all when `when` is false. Answers one row of Refusals.
 */
export function reservation(subjects: readonly (readonly [Guard, string])[], when?: SQL): SQL {
  const steps = subjects.map(([guard, subject], i) => {
    const earlier = subjects
      .slice(0, i)
      .map((_, j) => sql`not exists (select 1 from ${sql.raw(`r${j}`)} where seconds is not null)`);
    const conditions = [...(when ? [when] : []), ...earlier];
    return sql`${sql.raw(`r${i}`)} as (${reserveUpsert(
      guard,
      subject,
      conditions.length ? sql.join(conditions, sql` and `) : undefined,
    )})`;
  });
  const answers = subjects.map(
    ([guard], i) => sql`(select seconds from ${sql.raw(`r${i}`)}) as ${sql.identifier(guard)}`,
  );
  return sql`with ${sql.join(steps, sql`, `)} select ${sql.join(answers, sql`, `)}`;
}

/** Refuses with 429 when any reservation was refused. */
export function assertGranted(refusals: Refusals | undefined): void {
  const refused = Object.entries(refusals ?? {}).filter(([, value]) => value !== null);
  if (refused.length === 0) return;
  countRateLimited(refused.map(([guard]) => guard).join(","));
  throw problems.rateLimited(Math.max(...refused.map(([, value]) => Number(value))));
}

/** Reserves one attempt of each subject before the check they guard: 429 when one is refused. */
export async function reserve(db: Db, ...subjects: (readonly [Guard, string])[]): Promise<void> {
  const result = await db.execute<Refusals>(reservation(subjects));
  assertGranted(result.rows[0]);
}

/**
 * The statement that gives a right answer's attempt back (within the window it was counted in;
 * a spent mfa_token's count stays).
 */
export function releaseStatement(guard: Guard, subject: string, when?: SQL): SQL {
  return sql`update ${authThrottles} set failures = ${authThrottles.failures} - 1
    where ${authThrottles.key} = ${throttleKey(guard, subject)}
      and ${authThrottles.failures} between 1 and ${SPENT - 1} and ${inWindow(guard)}
      ${when ? sql`and ${when}` : sql``}`;
}

/** Gives a right answer's attempt back. */
export async function release(db: Db, guard: Guard, subject: string): Promise<void> {
  await db.execute(releaseStatement(guard, subject));
}

/** The cron's share: windows that ended long ago count nothing. */
export async function deleteEndedThrottles(db: Db, limit: number): Promise<number> {
  const longest = Math.max(...Object.values(GUARDS).map((guard) => guard.windowSeconds));
  const ended = sql`${authThrottles.windowStartedAt} < now() - make_interval(secs => ${longest})`;
  return deleteBatch(db, authThrottles, ended, limit);
}
