import { describe, expect, it } from "vitest";
import { ageSpentTokens, db, login, registerUser, signUp } from "./helpers/factories";
import {
  expectDeadAccess,
  expectDeadRefresh,
  expectLiveSession,
  me,
  refresh,
} from "./helpers/sessions";
import { call, expectProblem } from "./helpers/worker";

async function sha256Hex(value: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function countWhere(condition: string, params: unknown[]) {
  const [row] = await db<{ n: number }>(
    `select count(*)::int as n from refresh_tokens where ${condition}`,
    params,
  );
  return Number(row?.n);
}

describe("POST /auth/refresh", () => {
  it("rotates: new access and refresh tokens that work, the old one spent", async () => {
    const user = await signUp();
    const res = await refresh(user.refreshToken);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    expect(res.json.refresh_token).not.toBe(user.refreshToken);
    expect(res.json.access_token).not.toBe(user.token);
    expect(res.headers.get("cache-control")).toContain("no-store");

    const mine = await me(res.json.access_token);
    expect(mine.status, mine.text).toBe(200);
    expect(mine.json.id).toBe(user.id);
    const again = await refresh(res.json.refresh_token);
    expect(again.status, again.text).toBe(200);
    // Spent twice over (its successor is spent too): the family is over.
    await expectDeadRefresh(user.refreshToken);
  });

  it("stores refresh tokens only as SHA-256 hashes", async () => {
    const user = await signUp();
    expect(await countWhere("token_hash = $1", [user.refreshToken])).toBe(0);
    const hashed = [await sha256Hex(user.refreshToken), user.id];
    expect(await countWhere("token_hash = $1 and user_id = $2", hashed)).toBe(1);
  });

  it("replaying a spent token after the grace window revokes the whole family", async () => {
    const user = await signUp();
    const other = await login(user.email, user.password);
    const rotated = await refresh(user.refreshToken);
    expect(rotated.status, rotated.text).toBe(200);
    await ageSpentTokens(user.id);

    await expectDeadRefresh(user.refreshToken);
    // The legitimate successor and every access token of that session die with the family.
    await expectDeadRefresh(rotated.json.refresh_token);
    await expectDeadAccess(rotated.json.access_token);
    await expectDeadAccess(user.token);
    // Another session of the same user is another family.
    await expectLiveSession(other);
  });

  it("retried within the reuse window answers the same successor, never a second live one", async () => {
    const user = await signUp();
    const rotated = await refresh(user.refreshToken);
    expect(rotated.status, rotated.text).toBe(200);
    const retried = await refresh(user.refreshToken);
    expect(retried.status, retried.text).toBe(200);
    expect(retried.json.refresh_token).toBe(rotated.json.refresh_token);
    expect(retried.json.access_token).not.toBe(rotated.json.access_token);
    const live = "user_id = $1 and spent_at is null and revoked_at is null";
    expect(await countWhere(live, [user.id])).toBe(1);
    await expectLiveSession({
      token: retried.json.access_token,
      refreshToken: retried.json.refresh_token,
    });
  });

  it("reused after its successor was used (a grandparent) revokes the whole family", async () => {
    const user = await signUp();
    const first = await refresh(user.refreshToken);
    expect(first.status, first.text).toBe(200);
    const second = await refresh(first.json.refresh_token);
    expect(second.status, second.text).toBe(200);
    // Within the window, but its successor is spent: not a retry, a second holder.
    await expectDeadRefresh(user.refreshToken);
    await expectDeadRefresh(second.json.refresh_token);
    await expectDeadAccess(second.json.access_token);
  });

  it("of one token five times at once gives all five the same successor and never forks", async () => {
    for (let round = 0; round < 3; round++) {
      const user = await signUp();
      const results = await Promise.all(
        Array.from({ length: 5 }, () => refresh(user.refreshToken)),
      );
      for (const result of results) expect(result.status, result.text).toBe(200);
      const successors = new Set(results.map((r) => r.json.refresh_token));
      expect(successors.size).toBe(1);
      const live = "user_id = $1 and spent_at is null and revoked_at is null";
      expect(await countWhere(live, [user.id])).toBe(1);
      const [winner] = results;
      await expectLiveSession({
        token: winner?.json.access_token,
        refreshToken: winner?.json.refresh_token,
      });
    }
  });

  it("refuses an expired refresh token with 401", async () => {
    const user = await signUp();
    await db(
      "update refresh_tokens set expires_at = now() - interval '1 second' where user_id = $1",
      [user.id],
    );
    await expectDeadRefresh(user.refreshToken);
  });

  it.each([
    ["an unknown token", { refresh_token: "not-a-real-refresh-token" }],
    ["a token with a NUL byte", { refresh_token: "abc\u0000def" }],
    ["a token with SQL", { refresh_token: "' or 1=1 --" }],
  ])("refuses %s with 401", async (_label, body) => {
    const res = await call("/auth/refresh", { body });
    expectProblem(res, 401, "invalid_refresh_token");
  });

  it.each([
    ["an empty object", {}],
    ["an empty token", { refresh_token: "" }],
    ["a number", { refresh_token: 42 }],
    ["null", { refresh_token: null }],
    ["an array", [""]],
    ["a 600-character token", { refresh_token: "x".repeat(600) }],
  ])("refuses a body with %s with 422", async (_label, body) => {
    const res = await call("/auth/refresh", { body });
    expectProblem(res, 422, "validation_failed");
  });

  it("refuses an unknown field with 422 without spending the token", async () => {
    const user = await signUp();
    const res = await call("/auth/refresh", {
      body: { refresh_token: user.refreshToken, user_id: user.id },
    });
    expectProblem(res, 422, "validation_failed");
    await expectLiveSession(user);
  });

  it("answers malformed JSON with 400 and no body with a 4xx problem", async () => {
    const malformed = await call("/auth/refresh", {
      method: "POST",
      rawBody: '{"refresh_token":',
      headers: { "Content-Type": "application/json" },
    });
    expectProblem(malformed, 400, "malformed_json");
    const empty = await call("/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
    });
    expect([400, 415, 422], empty.text).toContain(empty.status);
    expect(empty.headers.get("content-type")).toContain("application/problem+json");
  });
});

describe("SESSION_MAX_AGE", () => {
  /** Seconds until the user's unspent refresh token expires. */
  async function lifeLeft(userId: string) {
    const [row] = await db<{ left: number }>(
      `select extract(epoch from expires_at - now())::int as left from refresh_tokens
       where user_id = $1 and spent_at is null`,
      [userId],
    );
    return Number(row?.left);
  }

  /** Moves the user's sessions' login back by `seconds`, as if it had been that long ago. */
  async function loggedInAgo(userId: string, seconds: number) {
    await db(
      "update refresh_tokens set session_started_at = now() - make_interval(secs => $2) where user_id = $1",
      [userId, seconds],
    );
  }

  it("a refresh slides the idle expiry by REFRESH_TOKEN_TTL, never past login + SESSION_MAX_AGE", async () => {
    const fresh = await signUp();
    expect((await refresh(fresh.refreshToken)).status).toBe(200);
    expect(await lifeLeft(fresh.id)).toBeGreaterThan(2_592_000 - 120);

    // Logged in 90 days less a minute ago: the successor lives that minute, not 30 days.
    const old = await signUp();
    await loggedInAgo(old.id, 7_776_000 - 60);
    const res = await refresh(old.refreshToken);
    expect(res.status, res.text).toBe(200);
    const left = await lifeLeft(old.id);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(60);
  });

  it("a session past its absolute lifetime cannot be refreshed, whatever its token's own expiry", async () => {
    const user = await signUp();
    await loggedInAgo(user.id, 7_776_001);
    await expectDeadRefresh(user.refreshToken);
  });

  it("is configurable: a shorter SESSION_MAX_AGE bounds the first refresh token and every successor", async () => {
    const user = await registerUser();
    const env = { SESSION_MAX_AGE: "600" };
    const res = await call("/auth/login", {
      body: { email: user.email, password: user.password },
      env,
    });
    expect(res.status, res.text).toBe(200);
    expect(await lifeLeft(user.id)).toBeLessThanOrEqual(600);
    const next = await call("/auth/refresh", {
      body: { refresh_token: res.json.refresh_token },
      env,
    });
    expect(next.status, next.text).toBe(200);
    expect(await lifeLeft(user.id)).toBeLessThanOrEqual(600);
  });

  it("is validated: anything but whole seconds from 300 is a configuration error", async () => {
    for (const value of ["abc", "1.5", "60"]) {
      const res = await call("/health", { env: { SESSION_MAX_AGE: value } });
      expect(expectProblem(res, 500, "configuration_error").detail).toContain("SESSION_MAX_AGE");
    }
  });
});
