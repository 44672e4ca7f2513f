// Load without loss: hundreds of concurrent registrations, logins, refreshes and If-Match updates
// on overlapping users, then the database is checked: no duplicate user, no lost update, one live
// token per session, and every count adds up. The rate limits are not under test here (they have
// their own): every limiter binding lets everything through.
import { beforeAll, describe, expect, it } from "vitest";
import { db, PASSWORD, registration } from "./helpers/factories";
import { type CallResult, call } from "./helpers/worker";

const open = { limit: async () => ({ success: true }) };
const LOAD = {
  LOGIN_LIMITER: open,
  REGISTER_LIMITER: open,
  FORGOT_PASSWORD_LIMITER: open,
  RESET_PASSWORD_LIMITER: open,
  CHANGE_PASSWORD_LIMITER: open,
};

const USERS = 30;
let requests = 0;

function send(path: string, options: Parameters<typeof call>[1] = {}) {
  requests++;
  return call(path, { ...options, env: LOAD });
}

function tally(answers: CallResult[]) {
  const counts: Record<number, number> = {};
  for (const res of answers) counts[res.status] = (counts[res.status] ?? 0) + 1;
  return counts;
}

type Person = { id: string; email: string; sessions: { token: string; refresh: string }[] };
const people: Person[] = [];

// The file's database is created and migrated on its first query: not inside a timed test.
beforeAll(() => db("select 1"), 60_000);

describe("under concurrent load on overlapping users", () => {
  it("registrations: five racing requests per identity (some in other letter case) make exactly one user", async () => {
    const bodies = Array.from({ length: USERS }, () => registration());
    const answers = await Promise.all(
      bodies.flatMap((body) =>
        [0, 1, 2, 3, 4].map((i) =>
          send("/auth/register", {
            body: i % 2 ? { ...body, email: body.email.toUpperCase() } : body,
          }),
        ),
      ),
    );
    expect(tally(answers)).toEqual({ 201: USERS, 409: USERS * 4 });
    for (const body of bodies) {
      const rows = await db<{ id: string; email: string }>(
        "select id, email from users where lower(email) = lower($1) or lower(username) = lower($2)",
        [body.email, body.username],
      );
      expect(rows).toHaveLength(1);
      people.push({ id: String(rows[0]?.id), email: body.email, sessions: [] });
    }
  }, 120_000);

  it("logins, then If-Match updates: three sessions each, one winner per round, no lost update", async () => {
    const revisions = new Map<string, number>();
    for (const row of await db<{ id: string; revision: number }>(
      "select id, revision from users where id = any($1)",
      [people.map((p) => p.id)],
    )) {
      revisions.set(row.id, Number(row.revision));
    }
    const logins = people.flatMap((person) =>
      [0, 1, 2].map(async () => {
        const res = await send("/auth/login", {
          body: { email: person.email, password: PASSWORD },
        });
        if (res.status === 200) {
          person.sessions.push({ token: res.json.access_token, refresh: res.json.refresh_token });
        }
        return res;
      }),
    );
    expect(tally(await Promise.all(logins))).toEqual({ 200: USERS * 3 });

    // Two rounds; in each, five clients race to update each user with the ETag they all read.
    const winners = new Map<string, string>();
    for (let round = 0; round < 2; round++) {
      const answers = await Promise.all(
        people.flatMap((person) => {
          const etag = `"${revisions.get(person.id)}"`;
          const [session] = person.sessions;
          return [0, 1, 2, 3, 4].map(async (client) => {
            const name = `R${round}C${client}`;
            const res = await send("/users/me", {
              method: "PATCH",
              body: { first_name: name },
              headers: { "If-Match": etag },
              token: session?.token,
            });
            if (res.status === 200) {
              winners.set(person.id, name);
              revisions.set(person.id, Number(JSON.parse(res.headers.get("etag") ?? "0")));
            }
            return res;
          });
        }),
      );
      expect(tally(answers)).toEqual({ 200: USERS, 412: USERS * 4 });
    }
    const rows = await db<{ id: string; first_name: string; revision: number }>(
      "select id, first_name, revision from users where id = any($1)",
      [people.map((p) => p.id)],
    );
    for (const row of rows) {
      expect(row.first_name).toBe(winners.get(row.id));
      expect(Number(row.revision)).toBe(revisions.get(row.id));
    }
  }, 120_000);

  it("refreshes racing each other and updates: one live token per session, sessions all alive", async () => {
    const refreshes = people.flatMap((person) =>
      person.sessions.flatMap((session) =>
        // A client and its retry present the same token: both get the same successor.
        [0, 1].map(() => send("/auth/refresh", { body: { refresh_token: session.refresh } })),
      ),
    );
    const updates = people.map((person) =>
      send("/users/me", {
        method: "PATCH",
        body: { last_name: "Loaded" },
        token: person.sessions[1]?.token,
      }),
    );
    const refreshed = await Promise.all(refreshes);
    expect(tally(refreshed)).toEqual({ 200: USERS * 3 * 2 });
    expect(tally(await Promise.all(updates))).toEqual({ 200: USERS });
    for (let i = 0; i < refreshed.length; i += 2) {
      expect(refreshed[i]?.json.refresh_token).toBe(refreshed[i + 1]?.json.refresh_token);
    }

    const families = await db<{ family_id: string; live: number; total: number }>(
      `select family_id, count(*) filter (where spent_at is null and revoked_at is null)::int as live,
         count(*)::int as total
       from refresh_tokens where user_id = any($1) group by family_id`,
      [people.map((p) => p.id)],
    );
    expect(families).toHaveLength(USERS * 3);
    for (const family of families) {
      expect(family.live).toBe(1);
      expect(family.total).toBe(2);
    }
    const [counts] = await db<{ users: number; loaded: number }>(
      "select count(*)::int as users, count(*) filter (where last_name = 'Loaded')::int as loaded from users where id = any($1)",
      [people.map((p) => p.id)],
    );
    expect(counts).toEqual({ users: USERS, loaded: USERS });
    console.log(`load: ${requests} requests`);
  }, 120_000);
});
