// The bench's bulk data, inserted with SQL in a few statements instead of through the API (where
// every user costs a bcrypt hash): users numbered like the ones seed.ts registers, and refresh
// tokens spread over them. Both run through the SQL endpoint (database.ts, runSql), so they work on
// PostgreSQL and on PGlite alike.
import { type DatabaseSide, runSql } from "./database.ts";

export const FIRST_NAMES = [
  "Olivia",
  "Liam",
  "Emma",
  "Noah",
  "Amelia",
  "Elijah",
  "Sophia",
  "Lucas",
];
export const LAST_NAMES = ["Smith", "Garcia", "Müller", "Rossi", "Dubois", "Tanaka", "Kowalski"];

/** user000042, as seed.ts names the users it registers through the API too. */
export const username = (i: number) => `user${String(i).padStart(6, "0")}`;

const textArray = (items: string[]) => `array[${items.map((item) => `'${item}'`).join(", ")}]`;

/**
 * Users number `from` to `to` (inclusive), each with the same password hash. Their names follow
 * `i` as seed.ts's do, so that a search for one first name matches one user in eight; created_at
 * goes back one second per user, so that the list's order by creation is not one tie.
 */
export async function insertUsers(
  side: DatabaseSide,
  from: number,
  to: number,
  passwordHash: string,
): Promise<void> {
  await runSql(
    side,
    `insert into users (id, username, email, first_name, last_name, password_hash, role,
       email_verified, created_at, updated_at)
     select gen_random_uuid(), 'user' || lpad(i::text, 6, '0'),
       'user' || lpad(i::text, 6, '0') || '@example.com',
       (${textArray(FIRST_NAMES)})[1 + i % ${FIRST_NAMES.length}],
       (${textArray(LAST_NAMES)})[1 + i % ${LAST_NAMES.length}],
       $1::text, 'USER', true, now() - make_interval(secs => i), now() - make_interval(secs => i)
     from generate_series($2::int, $3::int) as i`,
    [passwordHash, from, to],
  );
}

/**
 * `count` refresh tokens, in families of four spread over all users: in each family three are
 * spent (rotated) and the newest is live, one family in twenty is revoked, all expire in 30
 * days. The hashes are unique 64-hex-digit strings like real SHA-256 ones; inserted in their
 * order, which makes the unique index's inserts sequential and the statement faster.
 */
export async function insertRefreshTokens(side: DatabaseSide, count: number): Promise<void> {
  await runSql(
    side,
    `insert into refresh_tokens (id, user_id, family_id, token_version, token_hash, expires_at,
       spent_at, revoked_at, created_at)
     select gen_random_uuid(), u.id, md5('family' || (g / 4)::text)::uuid, u.token_version,
       md5(g::text) || md5((g + 1)::text), now() + interval '30 days',
       case when g % 4 <> 3 then now() end, case when (g / 4) % 20 = 0 then now() end,
       now() - make_interval(secs => g)
     from generate_series(0, $1::int - 1) as g
     join (select id, token_version, row_number() over (order by id) - 1 as n from users) as u
       on u.n = (g / 4) % (select count(*) from users)
     order by 5`,
    [count],
  );
}

/**
 * The other tables the hot statements read, at a realistic size for that many users: one
 * throttle window per `count` emails that failed a login, and `count` security events spread
 * over the users. (A near-empty table is read by a sequential scan, rightly: it would say
 * nothing about the plan at scale.)
 */
export async function insertThrottlesAndEvents(side: DatabaseSide, count: number): Promise<void> {
  await runSql(
    side,
    `insert into auth_throttles (key, failures, window_started_at)
     select 'login:bulk' || g || '@example.com', 1 + g % 12, now() - make_interval(secs => g % 3600)
     from generate_series(1, $1::int) as g`,
    [count],
  );
  await runSql(
    side,
    `insert into security_events (id, user_id, type, at, detail)
     select gen_random_uuid(), u.id, 'login.succeeded', now() - make_interval(secs => g), '{}'
     from generate_series(0, $1::int - 1) as g
     join (select id, row_number() over (order by id) - 1 as n from users) as u
       on u.n = g % (select count(*) from users)`,
    [count],
  );
}

export async function analyze(side: DatabaseSide): Promise<void> {
  await runSql(side, "analyze");
}

export async function countUsers(side: DatabaseSide): Promise<number> {
  const [row] = await runSql(side, "select count(*) as n from users");
  return Number(row?.n);
}
