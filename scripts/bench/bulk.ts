// The bench's bulk data, inserted with SQL (generate_series) instead of through the API, where
// every user costs a bcrypt hash: users numbered like the ones seed.ts registers, and in
// proportion to them the rows the hot statements and the cron read: 10 refresh tokens, 10
// security events and 1 throttle window per user (10,000,000 tokens and events at 1,000,000
// users). The secondary indexes are dropped for the load and built again after it, which sorts
// once instead of inserting 10,000,000 keys one by one: minutes instead of an hour.
import type { RunSql } from "./database.ts";

/** Bump when the data fill() makes changes: kept databases of another version are seeded anew. */
export const SEED_VERSION = 3;

export const PER_USER = { refreshTokens: 10, events: 10, throttles: 1 };
/** One user in this many has a password reset, an email verification and a passkey challenge. */
const PENDING_EVERY = 100;

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
 * A UUIDv7-shaped id (the API's ids are v7): the time's milliseconds first, so that ids come in
 * the order of their rows' times as the API's do, then digits of md5(n), unique per n.
 */
const uuid7 = (time: string, n: string) =>
  `(lpad(to_hex(floor(extract(epoch from ${time}) * 1000)::bigint), 12, '0') || '7' ||
    substr(md5((${n})::text), 1, 3) || '8' || substr(md5((${n})::text), 4, 15))::uuid`;

/** The bulk user number i's username, as username() makes it. */
const usernameOf = (i: string) =>
  `('user' || lpad(${i}::text, greatest(6, length(${i}::text)), '0'))`;

/** The bulk user number i's creation time and id, from the seeding's base time ($1). */
const userCreatedAt = (i: string) => `($1::timestamptz - make_interval(secs => ${i}))`;
const userId = (i: string) => uuid7(userCreatedAt(i), i);

const TABLES = [
  "users",
  "refresh_tokens",
  "security_events",
  "auth_throttles",
  "password_reset_tokens",
  "email_verification_tokens",
  "webauthn_challenges",
];

/** The indexes of the tables that back no constraint (primary keys stay), as CREATE INDEX. */
async function secondaryIndexes(sql: RunSql): Promise<{ name: string; definition: string }[]> {
  const rows = await sql(
    `select indexname, indexdef from pg_indexes
     where schemaname = 'public' and tablename = any($1::text[])
       and indexname not in (select conname from pg_constraint)`,
    [`{${TABLES.join(",")}}`],
  );
  return rows.map((row) => ({ name: String(row.indexname), definition: String(row.indexdef) }));
}

async function timed(what: string, step: () => Promise<unknown>): Promise<void> {
  const startedAt = performance.now();
  process.stdout.write(`  ${what}...`);
  await step();
  console.log(` ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
}

/**
 * Users number 2 to `users` - 1, each with the same password hash (the admin and user000001 are
 * registered through the API), and their tokens, events and throttle windows. Names follow the
 * number as seed.ts's do, so that a search for one first name matches one user in eight;
 * creation goes back one second per user. Tokens come in families of five (four spent, the
 * newest live), two per user, started over the last 31 days, so that a few have expired; one
 * family in twenty of the last three days is revoked (the cron removes older ones); events spread over 91 days (a
 * few are past the 90 days' retention); throttle windows over the last two hours.
 */
export async function fill(
  sql: RunSql,
  users: number,
  passwordHash: string,
  base: Date,
): Promise<void> {
  const bulkUsers = users - 2;
  const at = base.toISOString();
  const indexes = await secondaryIndexes(sql);
  await timed(`dropping ${indexes.length} secondary indexes for the load`, () =>
    sql(`drop index ${indexes.map((index) => `"${index.name}"`).join(", ")}`),
  );
  await timed(`${bulkUsers.toLocaleString("en")} users`, () =>
    sql(
      `insert into users (id, username, email, first_name, last_name, password_hash, role,
         email_verified, created_at, updated_at)
       select ${userId("i")}, ${usernameOf("i")},
         ${usernameOf("i")} || '@example.com',
         (${textArray(FIRST_NAMES)})[1 + i % ${FIRST_NAMES.length}],
         (${textArray(LAST_NAMES)})[1 + i % ${LAST_NAMES.length}],
         $2::text, 'USER', true, ${userCreatedAt("i")}, ${userCreatedAt("i")}
       from generate_series(2, $3::int + 1) as i`,
      [at, passwordHash, bulkUsers],
    ),
  );
  const tokens = bulkUsers * PER_USER.refreshTokens;
  await timed(`${tokens.toLocaleString("en")} refresh tokens`, () =>
    sql(
      `insert into refresh_tokens (id, user_id, family_id, token_version, token_hash, expires_at,
         spent_at, revoked_at, created_at, user_agent, ip)
       select ${uuid7("t.created", "g")}, ${userId("2 + (g / 5) % $2::int")},
         ${uuid7("f.started", "g / 5 + 2000000000")}, 0,
         md5(g::text) || md5((g + 1)::text), t.created + interval '30 days',
         case when g % 5 <> 4 then t.created + interval '1 hour' end,
         case when (g / 5) % 20 = 0 and f.started > $1::timestamptz - interval '3 days'
           then f.started + interval '5 hours' end,
         t.created, 'Mozilla/5.0 (bench)', '203.0.113.0'
       from generate_series(0, $3::int - 1) as g
       cross join lateral (select $1::timestamptz
         - make_interval(secs => (g / 5) * (31 * 86400.0 * 5 / $3::int)) as started) as f
       cross join lateral (select f.started + make_interval(hours => g % 5) as created) as t`,
      [at, bulkUsers, tokens],
    ),
  );
  const events = bulkUsers * PER_USER.events;
  await timed(`${events.toLocaleString("en")} security events`, () =>
    sql(
      `insert into security_events (id, user_id, type, at, actor_id, ip, user_agent, detail)
       select ${uuid7("e.at", "g")}, ${userId("2 + g % $2::int")},
         (array['login.succeeded', 'login.succeeded', 'login.failed', 'session.ended',
           'password.changed'])[1 + g % 5], e.at, ${userId("2 + g % $2::int")},
         '203.0.113.0', 'Mozilla/5.0 (bench)', '{}'::jsonb
       from generate_series(0, $3::int - 1) as g
       cross join lateral (select $1::timestamptz
         - make_interval(secs => g * (91 * 86400.0 / $3::int)) as at) as e`,
      [at, bulkUsers, events],
    ),
  );
  const throttles = users * PER_USER.throttles;
  await timed(`${throttles.toLocaleString("en")} throttle windows`, () =>
    sql(
      `insert into auth_throttles (key, failures, window_started_at)
       select 'login:bulk' || g || '@example.com', 1 + g % 12,
         $1::timestamptz - make_interval(secs => g * (7200.0 / $2::int))
       from generate_series(1, $2::int) as g`,
      [at, throttles],
    ),
  );
  await timed("pending password resets, email verifications and passkey challenges", async () => {
    // Every PENDING_EVERY-th bulk user i, with `t.issued` spread evenly over the `seconds`
    // before the seeding's base time.
    const pendingOver = (
      seconds: number,
    ) => `from generate_series(2, $2::int + 1, ${PENDING_EVERY}) as i
       cross join lateral (select $1::timestamptz
         - make_interval(secs => (i * ${seconds}.0 / $2::int)) as issued) as t`;
    // Issued over the last two days, so that half have expired and wait for the cron.
    const pending = pendingOver(172_800);
    await sql(
      `insert into password_reset_tokens (user_id, token_hash, token_version, email, expires_at,
         created_at)
       select ${userId("i")}, md5('reset' || i) || md5('reset' || i + 1), 0,
         ${usernameOf("i")} || '@example.com',
         t.issued + interval '1 day', t.issued
       ${pending}`,
      [at, bulkUsers],
    );
    await sql(
      `insert into email_verification_tokens (user_id, token_hash, email, expires_at, created_at)
       select ${userId("i")}, md5('verify' || i) || md5('verify' || i + 1),
         ${usernameOf("i")} || '@example.com',
         t.issued + interval '1 day', t.issued
       ${pending}`,
      [at, bulkUsers],
    );
    // Passkey ceremonies' challenges (five minutes each, half of them for a login, which names
    // no user), begun over the last two hours: nearly all have expired and wait for the hourly
    // cron, as its batch finds them between two runs.
    await sql(
      `insert into webauthn_challenges (id, challenge, ceremony, user_id, expires_at)
       select ${uuid7("t.issued", "i")}, md5('challenge' || i),
         case when i / ${PENDING_EVERY} % 2 = 0 then 'register' else 'login' end,
         case when i / ${PENDING_EVERY} % 2 = 0 then ${userId("i")} end,
         t.issued + interval '5 minutes'
       ${pendingOver(7_200)}`,
      [at, bulkUsers],
    );
  });
  for (const index of indexes) {
    await timed(`index ${index.name}`, () => sql(index.definition));
  }
}

export async function countUsers(sql: RunSql): Promise<number> {
  const [row] = await sql("select count(*) as n from users");
  return Number(row?.n);
}
