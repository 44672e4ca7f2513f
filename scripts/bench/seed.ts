// Fills the benchmark's database: through the public API, like any client, the admin (with the
// secret admin key) and one ordinary user, the "self" user the scenarios act as; then with SQL
// (bulk.ts) the rest of the users, who all get the self user's bcrypt hash as the API stored it, so
// every row looks like a registered user, and their tokens, events and throttle windows. A few
// first names, so that a search matches many. A database that was seeded before (a kept one,
// stage.ts) says so in its bench_seed row, with the password its admin and self user log in with.
import { randomBytes } from "node:crypto";
import { FIRST_NAMES, fill, LAST_NAMES, SEED_VERSION, username } from "./bulk.ts";
import type { RunSql } from "./database.ts";

export const SEED_USERS = 10_000;
// Matches one first name in eight: 1,250 of 10,000 users, 125,000 of 1,000,000.
export const SEARCH = "sophia";

async function call(
  base: string,
  method: "GET" | "POST",
  path: string,
  expectedStatus: number,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== expectedStatus) {
    throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return JSON.parse(text);
}

export type Credentials = { email: string; password: string };
export type Tokens = { access_token: string; refresh_token: string };

export function logIn(base: string, credentials: Credentials): Promise<Tokens> {
  return call(base, "POST", "/auth/login", 200, credentials) as Promise<Tokens>;
}

async function idOf(sql: RunSql, i: number): Promise<string> {
  const [row] = await sql("select id from users where lower(username) = $1", [username(i)]);
  if (!row?.id) throw new Error(`seeding made no user ${username(i)}`);
  return String(row.id);
}

/** The password of an earlier seeding of this many users with this SEED_VERSION, if any. */
async function earlierSeeding(sql: RunSql, users: number): Promise<string | undefined> {
  const [table] = await sql("select to_regclass('bench_seed') is not null as present");
  if (!table?.present || table.present === "f") return undefined;
  const [row] = await sql("select password from bench_seed where version = $1 and users = $2", [
    SEED_VERSION,
    users,
  ]);
  return row?.password ? String(row.password) : undefined;
}

export async function seed(base: string, secretAdminKey: string, sql: RunSql, users: number) {
  const earlier = await earlierSeeding(sql, users);
  // One strong password for everyone: the API refuses common ones.
  const password = earlier ?? `Bench-${randomBytes(12).toString("base64url")}`;
  const person = (i: number) => ({
    username: username(i),
    email: `${username(i)}@example.com`,
    first_name: FIRST_NAMES[i % FIRST_NAMES.length] ?? "Ada",
    last_name: LAST_NAMES[i % LAST_NAMES.length] ?? "Lovelace",
    password,
  });
  if (earlier) {
    console.log(`  reusing the ${users.toLocaleString("en")} users seeded before`);
  } else {
    await call(base, "POST", "/auth/register", 201, {
      ...person(0),
      username: "bench-admin",
      email: "admin@example.com",
      secret_admin_key: secretAdminKey,
    });
    await call(base, "POST", "/auth/register", 201, person(1));
    const [stored] = await sql("select password_hash from users where lower(username) = $1", [
      username(1),
    ]);
    if (!stored?.password_hash) throw new Error("the registered user has no password hash");
    // The admin and user000001 are registered; users 2 to `users` - 1 make `users` in all.
    await fill(sql, users, String(stored.password_hash), new Date());
    // VACUUM too: the visibility map an index-only scan needs, and nothing left for autovacuum
    // to do during the measured runs.
    await sql("vacuum analyze");
    // A local scratch database's bench password, kept so that a later run can log in again.
    await sql("create table bench_seed (version int, users int, password text)");
    await sql("insert into bench_seed values ($1, $2, $3)", [SEED_VERSION, users, password]);
  }

  const login = { email: person(1).email, password };
  const middle = Math.floor(users / 2);
  // The bulk users share user000001's hash, so the other user logs in with the same password.
  const [adminLogin, selfLogin, otherLogin] = await Promise.all([
    logIn(base, { email: "admin@example.com", password }),
    logIn(base, login),
    logIn(base, { email: person(middle).email, password }),
  ]);
  return {
    adminToken: adminLogin.access_token,
    selfToken: selfLogin.access_token,
    /**
     * The other user's own: a bulk user's sessions and events are the seeding's (bulk.ts: 10
     * tokens in two families, 10 events), where user000001 has only the bench's logins.
     */
    otherToken: otherLogin.access_token,
    selfId: await idOf(sql, 1),
    /** a bulk-seeded user the admin reads, and whose own session list the bench reads */
    otherUserId: await idOf(sql, middle),
    /** another one, whom the admin patches */
    patchUserId: await idOf(sql, middle + 1),
    login,
  };
}
