// Fills the benchmark's scratch database: through the public API, like any client, the admin (with
// the secret admin key) and one ordinary user, the "self" user the scenarios act as; then with SQL
// (bulk.ts) the rest of SEED_USERS users, who all get the self user's bcrypt hash as the API stored
// it, so every row looks like a registered user. A few first names, so that a search matches many.
import { randomBytes } from "node:crypto";
import { analyze, FIRST_NAMES, insertUsers, LAST_NAMES, username } from "./bulk.ts";
import { type DatabaseSide, runSql } from "./database.ts";

export const SEED_USERS = 10_000;
// Matches one first name in eight: about 1,250 of the 10,000 users, many pages of 20.
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

async function idOf(side: DatabaseSide, i: number): Promise<string> {
  const [row] = await runSql(side, "select id from users where username = $1", [username(i)]);
  if (!row?.id) throw new Error(`seeding made no user ${username(i)}`);
  return row.id;
}

export async function seed(base: string, secretAdminKey: string, side: DatabaseSide) {
  // One strong password for everyone: the API refuses common ones.
  const password = `Bench-${randomBytes(12).toString("base64url")}`;
  const person = (i: number) => ({
    username: username(i),
    email: `${username(i)}@example.com`,
    first_name: FIRST_NAMES[i % FIRST_NAMES.length] ?? "Ada",
    last_name: LAST_NAMES[i % LAST_NAMES.length] ?? "Lovelace",
    password,
  });
  await call(base, "POST", "/auth/register", 201, {
    ...person(0),
    username: "bench-admin",
    email: "admin@example.com",
    secret_admin_key: secretAdminKey,
  });
  const self = (await call(base, "POST", "/auth/register", 201, person(1))) as {
    user: { id: string };
  };
  const [stored] = await runSql(side, "select password_hash from users where id = $1", [
    self.user.id,
  ]);
  if (!stored?.password_hash) throw new Error("the registered user has no password hash");
  // The admin and user000001 are registered; users 2 to SEED_USERS - 1 make SEED_USERS in all.
  await insertUsers(side, 2, SEED_USERS - 1, stored.password_hash);
  await analyze(side);

  const login = { email: person(1).email, password };
  const [adminLogin, selfLogin] = await Promise.all([
    logIn(base, { email: "admin@example.com", password }),
    logIn(base, login),
  ]);
  const middle = Math.floor(SEED_USERS / 2);
  return {
    adminToken: adminLogin.access_token,
    selfToken: selfLogin.access_token,
    selfId: self.user.id,
    /** a bulk-seeded user the admin reads */
    otherUserId: await idOf(side, middle),
    /** another one, whom the admin patches */
    patchUserId: await idOf(side, middle + 1),
    login,
  };
}
