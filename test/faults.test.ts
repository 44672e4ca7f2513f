// Faults of what the Worker depends on, injected for real (test/fault-server.ts): a database
// endpoint that is stopped, refuses or drops connections, never answers or stalls mid-answer;
// PostgreSQL ending its backends; a mail provider that is dead or silent. Each time the client
// gets the contract's answer in bounded time, nothing is half-written, and service comes back by
// itself once the fault is gone.
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { sha256Hex } from "../src/lib/crypto";
import { db, login, NEW_PASSWORD, registerUser, registration, signUp } from "./helpers/factories";
import { me } from "./helpers/sessions";
import { updateUser } from "./helpers/users";
import { type CallResult, call, DATABASE_DOWN, expectProblem } from "./helpers/worker";

const faults = inject("faultServerUrl");
const PROXIED = { NEON_FETCH_ENDPOINT: inject("proxiedSqlEndpointUrl") };

function expectUnavailable(res: CallResult) {
  expectProblem(res, 503, "database_unavailable");
  expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
}

async function endpoint(action: "stop" | "start") {
  const res = await fetch(`${faults}/endpoint/${action}`, { method: "POST" });
  await res.text();
}

/** Console errors logged while `work` runs, as parsed JSON lines. */
async function errorsLoggedDuring(work: () => Promise<void>) {
  const spy = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    await work();
    return spy.mock.calls.map((args) => String(args[0]));
  } finally {
    spy.mockRestore();
  }
}

// The file's database is created and migrated on its first query: not inside a timed test.
beforeAll(() => signUp(), 60_000);

describe("a database endpoint that misbehaves", () => {
  // One second of deadline, so that a silent peer costs the suite a second, not ten.
  const deadline = { DATABASE_TIMEOUT: "1" };
  it.each([
    ["refuses connections (nothing listens)", DATABASE_DOWN],
    ["drops every connection", { NEON_FETCH_ENDPOINT: `${faults}/reset/sql` }],
    ["answers 502 with text", { NEON_FETCH_ENDPOINT: `${faults}/error/sql` }],
    ["never answers", { NEON_FETCH_ENDPOINT: `${faults}/hang/sql`, ...deadline }],
    ["sends headers, then stalls", { NEON_FETCH_ENDPOINT: `${faults}/stall/sql`, ...deadline }],
  ])("that %s: 503 with Retry-After within the deadline, and nothing written", async (_l, env) => {
    const session = await signUp();
    const body = registration();
    const lines = await errorsLoggedDuring(async () => {
      const registered = await call("/auth/register", { body, env });
      expectUnavailable(registered);
      expect(registered.answeredMs).toBeLessThan(5_000);
      expectUnavailable(await me(session.token, env));
      expectUnavailable(
        await call("/users/me", {
          method: "PATCH",
          body: { first_name: "Lost" },
          token: session.token,
          env,
        }),
      );
    });
    // Logged by error name and code only: no query text, parameters, hashes or addresses.
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toMatch(/params|\$2[aby]\$|@example|insert|select/);
    // With the endpoint back (the normal bindings): nothing of the failed calls exists.
    expect((await me(session.token)).json.first_name).toBe("Test");
    expect((await call("/auth/register", { body })).status).toBe(201);
  });
});

describe("the local SQL endpoint stopped and started again", () => {
  it("answers 503 while it is down and serves again by itself, with nothing half-written", async () => {
    const session = await signUp();
    expect((await me(session.token, PROXIED)).status).toBe(200);
    const body = registration();
    await endpoint("stop");
    try {
      expectUnavailable(await me(session.token, PROXIED));
      expectUnavailable(await call("/auth/register", { body, env: PROXIED }));
      expectUnavailable(
        await call("/auth/change-password", {
          body: { current_password: session.password, new_password: NEW_PASSWORD },
          token: session.token,
          env: PROXIED,
        }),
      );
    } finally {
      await endpoint("start");
    }
    expect((await me(session.token, PROXIED)).status).toBe(200);
    expect((await call("/auth/register", { body, env: PROXIED })).status).toBe(201);
    // The password change that failed changed nothing: the old password and session still work.
    await login(session.email, session.password);
    expect((await me(session.token)).status).toBe(200);
  });

  it("stopped in the middle of concurrent writes: each one happened whole or not at all", async () => {
    const sessions = await Promise.all(Array.from({ length: 6 }, () => signUp()));
    const bodies = Array.from({ length: 6 }, () => registration());
    const writes = Promise.all([
      ...bodies.map((body) => call("/auth/register", { body, env: PROXIED })),
      ...sessions.map((s) =>
        call("/auth/change-password", {
          body: { current_password: s.password, new_password: NEW_PASSWORD },
          token: s.token,
          env: PROXIED,
        }),
      ),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await endpoint("stop");
    const answers = await writes;
    await endpoint("start");
    for (const res of answers) {
      expect([200, 201, 503], res.text).toContain(res.status);
      if (res.status === 503) expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    }
    for (const body of bodies) {
      // A user either exists whole (can log in) or not at all (its name is free).
      const res = await call("/auth/login", {
        body: { email: body.email, password: body.password },
      });
      if (res.status === 401) expect((await call("/auth/register", { body })).status).toBe(201);
      else expect(res.status, res.text).toBe(200);
    }
    for (const s of sessions) {
      // A password either changed with its sessions ended, or neither happened.
      const loginWith = async (password: string) =>
        (await call("/auth/login", { body: { email: s.email, password } })).status;
      const changed = (await loginWith(NEW_PASSWORD)) === 200;
      expect(await loginWith(s.password)).toBe(changed ? 401 : 200);
      expect((await me(s.token)).status).toBe(changed ? 401 : 200);
    }
  });
});

describe.runIf(inject("databaseKind") === "pg")("PostgreSQL ending its backends", () => {
  it("under load: every answer is a success or a 503, and the next requests succeed", async () => {
    const sessions = await Promise.all(Array.from({ length: 8 }, () => signUp()));
    // Ends every other connection of this file's own database, possibly its own query's too.
    const terminate = () =>
      db(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
      ).catch(() => []);
    const rounds: CallResult[][] = [];
    for (let round = 0; round < 5; round++) {
      const answers = Promise.all(
        sessions.flatMap((s) => [
          me(s.token),
          updateUser(s.token, "me", { first_name: `Round${round}` }),
        ]),
      );
      await new Promise((resolve) => setTimeout(resolve, 5 * round));
      await terminate();
      rounds.push(await answers);
    }
    for (const res of rounds.flat()) {
      expect([200, 503], res.text).toContain(res.status);
      if (res.status === 503) expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    }
    for (const s of sessions) {
      const res = await updateUser(s.token, "me", { first_name: "After" });
      expect(res.status, res.text).toBe(200);
    }
  });
});

describe("a mail provider that fails", () => {
  it.each([
    ["is a dead port", { MAIL_API_URL: "http://127.0.0.1:9" }],
    ["never answers", { MAIL_API_URL: `${faults}/hang`, MAIL_TIMEOUT: "1" }],
    ["answers 502", { MAIL_API_URL: `${faults}/error` }],
  ])(
    "that %s: forgot-password answers 202 at once; the failure is logged with the request id and a recipient reference",
    async (_l, env) => {
      const user = await registerUser();
      let res: CallResult | undefined;
      const lines = await errorsLoggedDuring(async () => {
        res = await call("/auth/forgot-password", { body: { email: user.email }, env });
      });
      if (!res) throw new Error("no answer");
      expect(res.status).toBe(202);
      expect(res.answeredMs).toBeLessThan(1_000);
      const line = lines.find((text) => text.includes('"mail_failed"'));
      expect(line, lines.join("\n")).toBeDefined();
      expect(JSON.parse(line as string)).toMatchObject({
        event: "mail_failed",
        request_id: res.headers.get("x-request-id"),
        recipient: (await sha256Hex(user.email.toLowerCase())).slice(0, 12),
      });
      expect(line).not.toContain(user.email);
      expect(line).not.toMatch(/token/i);
      // The reset token was still issued: a later mail (the provider back) can carry a new one.
      const [row] = await db<{ n: number }>(
        "select count(*)::int as n from password_reset_tokens where user_id = $1",
        [user.id],
      );
      expect(Number(row?.n)).toBe(1);
    },
  );
});
