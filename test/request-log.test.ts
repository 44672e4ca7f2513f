// The one structured line per request (middleware/request-log.ts), read from real requests.
import { afterEach, describe, expect, it } from "vitest";
import { pseudonym } from "../src/lib/pseudonym";
import { NEW_PASSWORD, PASSWORD, registerUser, registration, signUp } from "./helpers/factories";
import { captureLogs, expectSafeLines, type RequestLine } from "./helpers/logs";
import { forgot, mailedToken, reset } from "./helpers/password-reset";
import { refresh } from "./helpers/sessions";
import { getUser } from "./helpers/users";
import { type CallResult, call, randomIp, testEnv } from "./helpers/worker";

let logs: ReturnType<typeof captureLogs> | undefined;
afterEach(() => logs?.restore());

/** Runs `run` and answers its log lines (restoring the console even when it fails). */
async function linesOf(run: () => Promise<unknown>): Promise<string[]> {
  logs = captureLogs();
  try {
    await run();
  } finally {
    logs.restore();
  }
  return logs.lines;
}

describe("the request log line", () => {
  it("is one safe JSON line per request over register, login, refresh, reuse, reset, admin reads, 404, 422 and 429", async () => {
    const answers: CallResult[] = [];
    const secrets: string[] = [PASSWORD, NEW_PASSWORD];
    const sent = async (res: Promise<CallResult>) => {
      const answer = await res;
      answers.push(answer);
      return answer;
    };
    const admin = await signUp({ admin: true });
    let userId = "";
    const lines = await linesOf(async () => {
      const registered = await sent(call("/auth/register", { body: registration() }));
      expect(registered.status, registered.text).toBe(201);
      userId = registered.json.user.id;
      const email = registered.json.user.email as string;
      const loggedIn = await sent(call("/auth/login", { body: { email, password: PASSWORD } }));
      expect(loggedIn.status).toBe(200);
      secrets.push(loggedIn.json.access_token, loggedIn.json.refresh_token);
      expect(
        (await sent(call("/auth/login", { body: { email, password: "Wrong-Guess-123" } }))).status,
      ).toBe(401);
      const first = await sent(refresh(loggedIn.json.refresh_token));
      expect(first.status).toBe(200);
      const second = await sent(refresh(first.json.refresh_token));
      secrets.push(first.json.refresh_token, second.json.refresh_token, second.json.access_token);
      expect((await sent(refresh(loggedIn.json.refresh_token))).status).toBe(401); // reuse
      const { token, accepted } = await mailedToken(email);
      answers.push(accepted);
      secrets.push(token);
      expect((await sent(reset(token, NEW_PASSWORD))).status).toBe(200);
      expect((await sent(getUser(admin.token, userId))).status).toBe(200);
      expect((await sent(call(`/users/${userId}/nothing-here`))).status).toBe(404);
      expect((await sent(call(`/auth/register`, { body: { email } }))).status).toBe(422);
      // The per-IP limiter of forgot-password (5 a minute) from one address.
      const ip = randomIp();
      let limited: CallResult | undefined;
      for (let i = 0; i < 12 && limited?.status !== 429; i++) {
        limited = await sent(
          call("/auth/forgot-password", { body: { email }, headers: { "CF-Connecting-IP": ip } }),
        );
      }
      expect(limited?.status).toBe(429);
    });
    secrets.push(admin.token, admin.refreshToken, userId, admin.id);
    const requests = expectSafeLines(lines, secrets);
    // One line per request, in order, each with its own request id and status.
    expect(requests.map((line) => line.request_id)).toEqual(
      answers.map((res) => res.headers.get("x-request-id")),
    );
    expect(requests.map((line) => line.status)).toEqual(answers.map((res) => res.status));
    const byRoute = (route: string) => requests.filter((line) => line.route === route);
    expect(byRoute("/auth/login").map((line) => line.code)).toEqual([
      undefined,
      "invalid_credentials",
    ]);
    expect(byRoute("/auth/refresh").map((line) => [line.status, line.code])).toEqual([
      [200, undefined],
      [200, undefined],
      [401, "invalid_refresh_token"],
    ]);
    const read = byRoute("/users/{id}");
    expect(read).toHaveLength(1);
    expect(read[0]).toMatchObject({ method: "GET", status: 200, db_trips: 1 });
    // The admin's keyed hash: HMAC under a key from JWT_SECRET, truncated; not the id.
    expect(read[0]?.user).toBe(await pseudonym(String(testEnv.JWT_SECRET), "user", admin.id));
    expect(byRoute("unmatched")).toMatchObject([{ status: 404, code: "not_found", db_trips: 0 }]);
    expect(byRoute("/auth/register").map((line) => line.code)).toEqual([
      undefined,
      "validation_failed",
    ]);
    expect(byRoute("/auth/forgot-password").at(-1)).toMatchObject({
      status: 429,
      code: "rate_limited",
    });
    expect(byRoute("/auth/reset-password")).toMatchObject([
      { status: 200, db_trips: expect.any(Number) },
    ]);
    // Registration and login name their user; the failed login and the reuse name nobody.
    const named = (line: RequestLine | undefined) => line?.user !== undefined;
    expect(named(byRoute("/auth/register")[0])).toBe(true);
    expect(byRoute("/auth/login").map(named)).toEqual([true, false]);
  });

  it("names the same user by the same hash, and different users differently", async () => {
    const [alice, bob] = [await signUp(), await signUp()];
    const lines = await linesOf(async () => {
      await getUser(alice.token, alice.id);
      await getUser(alice.token, "me");
      await getUser(bob.token, bob.id);
    });
    const [a1, a2, b] = expectSafeLines(lines, [alice.id, bob.id, alice.token, bob.token]);
    expect(a1?.user).toBeDefined();
    expect(a2?.user).toBe(a1?.user);
    expect(b?.user).not.toBe(a1?.user);
    expect([a1?.route, a2?.route]).toEqual(["/users/{id}", "/users/me"]);
  });

  it("counts each request's own round trips when requests of one isolate run at once", async () => {
    const user = await signUp();
    const registered = await registerUser();
    const lines = await linesOf(() =>
      Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          i % 2 === 0
            ? getUser(user.token, user.id)
            : call("/auth/login", { body: { email: registered.email, password: PASSWORD } }),
        ),
      ),
    );
    const requests = expectSafeLines(lines, [user.token, user.id]);
    expect(requests).toHaveLength(6);
    for (const line of requests) {
      // A read is one round trip, a login two (the credentials, then the session).
      expect(line.db_trips, JSON.stringify(line)).toBe(line.route === "/users/{id}" ? 1 : 2);
    }
  });

  it("is a readable one-liner with LOG_FORMAT=pretty and absent with LOG_FORMAT=off", async () => {
    const user = await signUp();
    const prettyLines = await linesOf(() =>
      call(`/users/${user.id}`, { token: user.token, env: { LOG_FORMAT: "pretty" } }),
    );
    expect(prettyLines).toHaveLength(1);
    expect(prettyLines[0]).toMatch(
      /^200 GET \/users\/\{id\} \d+(\.\d)?ms db=1\/\d+(\.\d)?ms user=[\w-]{16} req=[\w-]+$/,
    );
    expect(prettyLines[0]).not.toContain(user.id);
    const off = await linesOf(() =>
      call(`/users/${user.id}`, { token: user.token, env: { LOG_FORMAT: "off" } }),
    );
    expect(off.filter((line) => !line.includes("metrics_disabled"))).toEqual([]);
  });

  it("names the colo from CF-Ray and the country from CF-IPCountry, and leaves out any other shape", async () => {
    const lines = await linesOf(async () => {
      await call("/health", {
        headers: { "CF-Ray": "8f2a1b3c4d5e6f70-AMS", "CF-IPCountry": "NL" },
      });
      await call("/health", { headers: { "CF-Ray": "8f2a1b3c4d5e6f70", "CF-IPCountry": 'N"' } });
      await call("/health", { headers: { "CF-Ray": '8f2a-ams"}', "CF-IPCountry": "nl" } });
      await call("/health");
    });
    const where = expectSafeLines(lines).map(({ colo, country }) => [colo, country]);
    expect(where).toEqual([
      ["AMS", "NL"],
      [undefined, undefined],
      [undefined, undefined],
      [undefined, undefined],
    ]);
  });

  it("keeps the query string out: tokens and emails in it never reach the line", async () => {
    const user = await signUp({ admin: true });
    const lines = await linesOf(async () => {
      await call(`/users?email=${encodeURIComponent(user.email)}`, { token: user.token });
      // The emails' links open static pages the Worker never sees; a link that reaches it anyway
      // (a page served by the Worker in a fork, say) is an unmatched path.
      await call("/verify-email?token=secret-token-in-the-query-0123456789");
      await forgot(user.email);
    });
    const requests = expectSafeLines(lines, ["secret-token-in-the-query-0123456789", user.id]);
    expect(requests.map((line) => line.route)).toEqual([
      "/users",
      "unmatched",
      "/auth/forgot-password",
    ]);
  });
});
