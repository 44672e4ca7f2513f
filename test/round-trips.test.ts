// Database round trips per request, counted at the one door every query goes through: the
// driver's fetch of the SQL endpoint (every query is one HTTP request, as with Neon). The counts
// are deterministic, so they are asserted exactly; timings are not (npm run bench measures them).
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, type Session, signUp, uniqueName } from "./helpers/factories";
import { linksOf } from "./helpers/pages";
import { logout, me, refresh } from "./helpers/sessions";
import { deleteUser, getUser, listUsers, updateUser } from "./helpers/users";
import { type CallResult, call, testEnv } from "./helpers/worker";

const endpoint = String(testEnv.NEON_FETCH_ENDPOINT);
const realFetch = globalThis.fetch;

/** Runs one request (its background work included) and counts the queries it sent. */
async function tripsOf(request: () => Promise<CallResult>, status = 200) {
  let trips = 0;
  globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url === endpoint) trips += 1;
    return realFetch(input, init);
  };
  let res: CallResult;
  try {
    res = await request();
  } finally {
    globalThis.fetch = realFetch;
  }
  expect(res.status, res.text).toBe(status);
  return trips;
}

afterEach(() => {
  globalThis.fetch = realFetch;
});

let admin: Session;
let user: Session;
let other: Session;

beforeAll(async () => {
  admin = await signUp({ admin: true });
  user = await signUp({ first_name: "Roundtrip" });
  other = await signUp();
});

describe("one round trip", () => {
  it("GET /health asks nothing, GET /health/ready one trivial query", async () => {
    expect(await tripsOf(() => call("/health"))).toBe(0);
    expect(await tripsOf(() => call("/health/ready"))).toBe(1);
  });

  it("GET /users/me and GET /users/{id} of oneself: the caller's check and the read together", async () => {
    expect(await tripsOf(() => me(user.token))).toBe(1);
    expect(await tripsOf(() => getUser(user.token, user.id))).toBe(1);
  });

  it("an admin reading another user: authentication and target in one statement", async () => {
    expect(await tripsOf(() => getUser(admin.token, other.id))).toBe(1);
  });

  it("GET /users, filtered and paged, with its total, an empty page too", async () => {
    expect(await tripsOf(() => listUsers(admin.token, "per_page=20"))).toBe(1);
    expect(await tripsOf(() => listUsers(admin.token, "q=roundtrip&per_page=5"))).toBe(1);
    const page = await listUsers(admin.token, "per_page=1");
    // The pages its links lead to, and an empty page: the total and the caller's check ride on
    // the page's one statement, with or without rows.
    for (const rel of ["next", "last"]) {
      const link = linksOf(page)[rel] as URL;
      expect(
        await tripsOf(() => call(`${link.pathname}${link.search}`, { token: admin.token })),
      ).toBe(1);
    }
    expect(await tripsOf(() => listUsers(admin.token, "q=nobody-is-called-this"))).toBe(1);
  });

  it("PATCH and PUT of a user, and PATCH /users/me without an email change", async () => {
    expect(await tripsOf(() => updateUser(admin.token, other.id, { first_name: "Bench" }))).toBe(1);
    const put = { first_name: "Put", last_name: "Whole" };
    expect(await tripsOf(() => updateUser(admin.token, other.id, put, { method: "PUT" }))).toBe(1);
    expect(await tripsOf(() => updateUser(user.token, "me", { last_name: "Self" }))).toBe(1);
  });

  it("the session and event lists", async () => {
    expect(await tripsOf(() => call("/auth/sessions", { token: user.token }))).toBe(1);
    expect(await tripsOf(() => call(`/users/${user.id}/sessions`, { token: admin.token }))).toBe(1);
    expect(await tripsOf(() => call(`/users/${user.id}/events`, { token: user.token }))).toBe(1);
    expect(await tripsOf(() => call(`/events?user_id=${other.id}`, { token: admin.token }))).toBe(
      1,
    );
  });

  it("POST /users/import: a batch of 1,000, invalid and conflicting items included, and its re-run", async () => {
    const users = Array.from({ length: 1000 }, (_, i) => {
      const username = uniqueName("bulk");
      return {
        email: `${username}@example.test`,
        // An invalid item, and one whose username another user has (a conflict).
        username: [`no spaces allowed`, other.username][i] ?? username,
        first_name: "Bulk",
        last_name: "Import",
        external_id: String(i),
      };
    });
    const body = { users, mode: "upsert" };
    expect(await tripsOf(() => call("/users/import", { body, token: admin.token }))).toBe(1);
    expect(await tripsOf(() => call("/users/import", { body, token: admin.token }))).toBe(1);
  });

  it("POST /auth/refresh: spend and successor in one statement", async () => {
    expect(await tripsOf(() => refresh(user.refreshToken))).toBe(1);
  });

  it("ending sessions, and deleting a user", async () => {
    const session = await signUp();
    const second = await call("/auth/login", {
      body: { email: session.email, password: PASSWORD },
    });
    const sessions = await call("/auth/sessions", { token: second.json.access_token });
    const first = sessions.json.find((s: { current: boolean }) => !s.current).id;
    expect(
      await tripsOf(
        () =>
          call(`/auth/sessions/${first}`, { method: "DELETE", token: second.json.access_token }),
        204,
      ),
    ).toBe(1);
    expect(await tripsOf(() => logout(second.json.access_token), 204)).toBe(1);
    const victim = await signUp();
    expect(await tripsOf(() => logout(victim.token, { scope: "global" }), 204)).toBe(1);
    expect(await tripsOf(() => deleteUser(admin.token, victim.id))).toBe(1);
  });
});

describe("two round trips, where one cannot do", () => {
  it("POST /auth/login: the user (with its lock) before bcrypt, the session after it", async () => {
    const res = () => call("/auth/login", { body: { email: user.email, password: PASSWORD } });
    expect(await tripsOf(res)).toBe(2);
  });
});
