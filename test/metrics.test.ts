// The auth metrics (lib/metrics.ts) through the real Worker, with a recording stand-in for the
// Analytics Engine dataset where the Worker reads its METRICS binding.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { pseudonym } from "../src/lib/pseudonym";
import { NEW_PASSWORD, PASSWORD, registration, signUp } from "./helpers/factories";
import { forgot, mailedToken, reset } from "./helpers/password-reset";
import { changePassword, refresh } from "./helpers/sessions";
import { type CallOptions, call, DATABASE_DOWN, randomIp, testEnv } from "./helpers/worker";

type DataPoint = { indexes: string[]; blobs: string[]; doubles: number[] };

/** An AnalyticsEngineDataset that keeps what it is given. */
function recordingDataset() {
  const points: DataPoint[] = [];
  const dataset = {
    writeDataPoint(point: DataPoint) {
      points.push(structuredClone(point));
    },
  };
  const of = (event: string) => points.filter((point) => point.indexes[0] === event);
  return { points, dataset, of };
}

describe("auth metrics", () => {
  it("wrangler.toml binds a dataset (METRICS) in this environment too", () => {
    expect((env as Record<string, unknown>).METRICS).toBeDefined();
  });

  it("count registrations, logins by outcome, resets, refresh reuse and 429s by limiter, without personal data", async () => {
    const metrics = recordingDataset();
    const withMetrics = (options: CallOptions = {}): CallOptions => ({
      ...options,
      env: { ...options.env, METRICS: metrics.dataset },
    });
    const body = registration();
    const registered = await call("/auth/register", withMetrics({ body }));
    expect(registered.status, registered.text).toBe(201);
    const userId = registered.json.user.id as string;
    const credentials = { email: body.email, password: PASSWORD };
    const loggedIn = await call("/auth/login", withMetrics({ body: credentials }));
    expect(loggedIn.status).toBe(200);
    const wrong = { email: body.email, password: "Wrong-Guess-123" };
    expect((await call("/auth/login", withMetrics({ body: wrong }))).status).toBe(401);
    const first = await refresh(loggedIn.json.refresh_token);
    expect(
      (
        await call(
          "/auth/refresh",
          withMetrics({ body: { refresh_token: first.json.refresh_token } }),
        )
      ).status,
    ).toBe(200);
    const reused = await call(
      "/auth/refresh",
      withMetrics({ body: { refresh_token: loggedIn.json.refresh_token } }),
    );
    expect(reused.status).toBe(401);
    expect(
      (await call("/auth/forgot-password", withMetrics({ body: { email: body.email } }))).status,
    ).toBe(202);
    const { token } = await mailedToken(body.email);
    const done = await call(
      "/auth/reset-password",
      withMetrics({ body: { reset_token: token, new_password: NEW_PASSWORD } }),
    );
    expect(done.status, done.text).toBe(200);

    expect(metrics.of("register")).toHaveLength(1);
    expect(metrics.of("login").map((point) => point.blobs[0])).toEqual(["succeeded", "failed"]);
    const [succeeded, failed] = metrics.of("login");
    // The account is a keyed hash of the email: the same for both attempts, never the address.
    expect(succeeded?.blobs[5]).toBe(
      await pseudonym(String(testEnv.JWT_SECRET), "email", body.email.toUpperCase()),
    );
    expect(failed?.blobs[5]).toBe(succeeded?.blobs[5]);
    expect(metrics.of("refresh_reuse")).toHaveLength(1);
    expect(metrics.of("reset_requested")).toHaveLength(1);
    expect(metrics.of("reset_completed")).toHaveLength(1);
    // One request point per request, with its route pattern, status and database work.
    const requests = metrics.of("request");
    expect(requests.map((point) => point.blobs[1])).toEqual([
      "/auth/register",
      "/auth/login",
      "/auth/login",
      "/auth/refresh",
      "/auth/refresh",
      "/auth/forgot-password",
      "/auth/reset-password",
    ]);
    expect(requests.map((point) => point.doubles[1])).toEqual([201, 200, 401, 200, 401, 202, 200]);
    expect(requests[1]?.doubles[3]).toBe(2); // login: two round trips
    expect(requests[2]?.blobs[2]).toBe("invalid_credentials");
    for (const point of metrics.points) {
      expect(point.indexes).toHaveLength(1);
      expect(point.blobs).toHaveLength(6);
      expect(point.doubles).toHaveLength(5);
      expect(point.doubles[0]).toBe(1);
      const text = JSON.stringify(point);
      for (const secret of [
        body.email,
        userId,
        PASSWORD,
        NEW_PASSWORD,
        token,
        loggedIn.json.refresh_token,
      ]) {
        expect(text.includes(secret), text).toBe(false);
      }
      expect(text).not.toMatch(/@|eyJ/);
    }
  });

  it("count a 429 by the limiter binding or the account guard that gave it, and a login's rate_limited outcome", async () => {
    const metrics = recordingDataset();
    const user = await signUp();
    const ip = randomIp();
    const options = (body: unknown): CallOptions => ({
      body,
      headers: { "CF-Connecting-IP": ip },
      env: { METRICS: metrics.dataset },
    });
    let res = await call(
      "/auth/login",
      options({ email: user.email, password: "Wrong-Guess-123" }),
    );
    for (let i = 0; i < 12 && res.status !== 429; i++) {
      res = await call("/auth/login", options({ email: user.email, password: "Wrong-Guess-123" }));
    }
    expect(res.status).toBe(429);
    expect(metrics.of("rate_limited").map((point) => point.blobs[0])).toEqual(["LOGIN_LIMITER"]);
    expect(metrics.of("login").at(-1)?.blobs[0]).toBe("rate_limited");
    // Wrong current passwords: the account guard (5 per 15 minutes) refuses the sixth.
    let changed = await changePassword(user.token, "Wrong-Guess-123", NEW_PASSWORD);
    for (let i = 0; i < 6 && changed.status !== 429; i++) {
      changed = await call("/auth/change-password", {
        token: user.token,
        body: { current_password: "Wrong-Guess-123", new_password: NEW_PASSWORD },
        env: { METRICS: metrics.dataset },
      });
    }
    expect(changed.status).toBe(429);
    expect(metrics.of("rate_limited").at(-1)?.blobs[0]).toBe("currentPassword");
  });

  it("count a 5xx with its status and problem code", async () => {
    const metrics = recordingDataset();
    const res = await call("/auth/login", {
      body: { email: "x@example.test", password: PASSWORD },
      env: { ...DATABASE_DOWN, METRICS: metrics.dataset },
    });
    expect(res.status).toBe(503);
    expect(metrics.of("request")).toMatchObject([
      {
        blobs: [
          "",
          "/auth/login",
          "database_unavailable",
          expect.any(String),
          expect.any(String),
          "",
        ],
      },
    ]);
    expect(metrics.of("request")[0]?.doubles[1]).toBe(503);
  });

  it("carry the colo and country of Cloudflare's headers (CF-Ray's suffix, CF-IPCountry)", async () => {
    const metrics = recordingDataset();
    const env = { METRICS: metrics.dataset };
    await call("/health", {
      env,
      headers: { "CF-Ray": "8f2a1b3c4d5e6f70-SJC", "CF-IPCountry": "US" },
    });
    await call("/health", { env });
    expect(metrics.of("request").map((point) => point.blobs.slice(3, 5))).toEqual([
      ["SJC", "US"],
      ["", ""],
    ]);
  });

  it("never fail a request when the dataset throws", async () => {
    const throwing = {
      writeDataPoint() {
        throw new Error("Analytics Engine is having a bad day");
      },
    };
    const body = registration();
    const res = await call("/auth/register", { body, env: { METRICS: throwing } });
    expect(res.status, res.text).toBe(201);
    const login = await call("/auth/login", {
      body: { email: body.email, password: PASSWORD },
      env: { METRICS: throwing },
    });
    expect(login.status).toBe(200);
    expect((await forgot(body.email)).status).toBe(202);
    expect((await reset("not-a-token", NEW_PASSWORD)).status).toBe(400);
  });
});
