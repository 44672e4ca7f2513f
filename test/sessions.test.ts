import { createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import {
  db,
  login,
  PASSWORD,
  registerUser,
  resetTokenFor,
  type Session,
  signUp,
} from "./helpers/factories";
import { call, expectProblem, testEnv } from "./helpers/worker";

const NEW_PASSWORD = "Copper-Meadow-Kettle-77";

function refresh(refreshToken: string) {
  return call("/auth/refresh", { body: { refresh_token: refreshToken } });
}

function me(token: string) {
  return call("/users/me", { token });
}

async function expectDeadAccess(token: string) {
  const res = await me(token);
  expectProblem(res, 401, "invalid_token");
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
}

async function expectDeadRefresh(refreshToken: string) {
  const res = await refresh(refreshToken);
  expectProblem(res, 401, "invalid_refresh_token");
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
}

async function expectLiveSession(session: { token: string; refreshToken: string }) {
  const access = await me(session.token);
  expect(access.status, access.text).toBe(200);
  const next = await refresh(session.refreshToken);
  expect(next.status, next.text).toBe(200);
  return { token: next.json.access_token as string, refreshToken: next.json.refresh_token };
}

/** Moves the user's spent refresh tokens past the reuse grace window. */
async function ageSpentTokens(userId: string) {
  await db(
    "update refresh_tokens set spent_at = now() - interval '1 minute' where user_id = $1 and spent_at is not null",
    [userId],
  );
}

async function countRows(table: "refresh_tokens" | "password_reset_tokens", userId: string) {
  const [row] = await db<{ n: number }>(
    `select count(*)::int as n from ${table} where user_id = $1`,
    [userId],
  );
  return Number(row?.n);
}

async function sha256Hex(value: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("POST /auth/refresh", () => {
  it("POST /auth/refresh rotates: new access and refresh tokens that work, the old one spent", async () => {
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
    await expectDeadRefresh(user.refreshToken);
    const again = await refresh(res.json.refresh_token);
    expect(again.status, again.text).toBe(200);
  });

  it("POST /auth/refresh stores refresh tokens only as SHA-256 hashes", async () => {
    const user = await signUp();
    const [raw] = await db<{ n: number }>(
      "select count(*)::int as n from refresh_tokens where token_hash = $1",
      [user.refreshToken],
    );
    const [hashed] = await db<{ n: number }>(
      "select count(*)::int as n from refresh_tokens where token_hash = $1 and user_id = $2",
      [await sha256Hex(user.refreshToken), user.id],
    );
    expect(Number(raw?.n)).toBe(0);
    expect(Number(hashed?.n)).toBe(1);
  });

  it("POST /auth/refresh replaying a spent token after the grace window revokes the whole family", async () => {
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

  it("POST /auth/refresh replaying a spent token within the grace window is 401 but keeps the family", async () => {
    const user = await signUp();
    const rotated = await refresh(user.refreshToken);
    expect(rotated.status, rotated.text).toBe(200);
    await expectDeadRefresh(user.refreshToken);
    await expectLiveSession({
      token: rotated.json.access_token,
      refreshToken: rotated.json.refresh_token,
    });
  });

  it("POST /auth/refresh of one token five times at once succeeds once and never forks the family", async () => {
    for (let round = 0; round < 3; round++) {
      const user = await signUp();
      const results = await Promise.all(
        Array.from({ length: 5 }, () => refresh(user.refreshToken)),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses, results.map((r) => r.text).join("\n")).toEqual([200, 401, 401, 401, 401]);
      for (const loser of results.filter((r) => r.status === 401)) {
        expectProblem(loser, 401, "invalid_refresh_token");
      }
      const [live] = await db<{ n: number }>(
        "select count(*)::int as n from refresh_tokens where user_id = $1 and spent_at is null and revoked_at is null",
        [user.id],
      );
      expect(Number(live?.n)).toBe(1);
      const winner = results.find((r) => r.status === 200);
      await expectLiveSession({
        token: winner?.json.access_token,
        refreshToken: winner?.json.refresh_token,
      });
    }
  });

  it("POST /auth/refresh refuses an expired refresh token with 401", async () => {
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
  ])("POST /auth/refresh refuses %s with 401", async (_label, body) => {
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
  ])("POST /auth/refresh refuses a body with %s with 422", async (_label, body) => {
    const res = await call("/auth/refresh", { body });
    expectProblem(res, 422, "validation_failed");
  });

  it("POST /auth/refresh refuses an unknown field with 422 without spending the token", async () => {
    const user = await signUp();
    const res = await call("/auth/refresh", {
      body: { refresh_token: user.refreshToken, user_id: user.id },
    });
    expectProblem(res, 422, "validation_failed");
    await expectLiveSession(user);
  });

  it("POST /auth/refresh answers malformed JSON with 400 and no body with a 4xx problem", async () => {
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

describe("POST /auth/logout", () => {
  it("POST /auth/logout ends only the current session by default", async () => {
    const user = await signUp();
    const other = await login(user.email, user.password);
    const res = await call("/auth/logout", { method: "POST", token: user.token });
    expect(res.status, res.text).toBe(204);
    await expectDeadAccess(user.token);
    await expectDeadRefresh(user.refreshToken);
    await expectLiveSession(other);
  });

  it("POST /auth/logout ends a rotated session, including access tokens issued before rotation", async () => {
    const user = await signUp();
    const rotated = await refresh(user.refreshToken);
    expect(rotated.status).toBe(200);
    const res = await call("/auth/logout", { method: "POST", token: rotated.json.access_token });
    expect(res.status, res.text).toBe(204);
    await expectDeadAccess(user.token);
    await expectDeadAccess(rotated.json.access_token);
    await expectDeadRefresh(rotated.json.refresh_token);
  });

  it("POST /auth/logout racing a refresh of the same session leaves nothing usable", async () => {
    for (let round = 0; round < 5; round++) {
      const user = await signUp();
      const [rotated, loggedOut] = await Promise.all([
        refresh(user.refreshToken),
        call("/auth/logout", { method: "POST", token: user.token }),
      ]);
      expect(loggedOut.status, loggedOut.text).toBe(204);
      await expectDeadAccess(user.token);
      await expectDeadRefresh(user.refreshToken);
      if (rotated.status === 200) {
        await expectDeadAccess(rotated.json.access_token);
        await expectDeadRefresh(rotated.json.refresh_token);
      } else {
        expect(rotated.status, rotated.text).toBe(401);
      }
    }
  });

  it("POST /auth/logout with the refresh_token of another session ends that session", async () => {
    const user = await signUp();
    const other = await login(user.email, user.password);
    const res = await call("/auth/logout", {
      body: { refresh_token: other.refreshToken },
      token: user.token,
    });
    expect(res.status, res.text).toBe(204);
    await expectDeadRefresh(other.refreshToken);
    await expectDeadAccess(other.token);
  });

  it("POST /auth/logout with another user's refresh_token does nothing to them", async () => {
    const attacker = await signUp();
    const victim = await signUp();
    const res = await call("/auth/logout", {
      body: { refresh_token: victim.refreshToken },
      token: attacker.token,
    });
    expect(res.status).toBeLessThan(500);
    await expectLiveSession(victim);
  });

  it("POST /auth/logout?scope=global ends every session and access token of the user", async () => {
    const user = await signUp();
    const second = await login(user.email, user.password);
    const rotatedSecond = await refresh(second.refreshToken);
    const bystander = await signUp();
    const res = await call("/auth/logout?scope=global", { method: "POST", token: user.token });
    expect(res.status, res.text).toBe(204);
    await expectDeadAccess(user.token);
    await expectDeadAccess(second.token);
    await expectDeadAccess(rotatedSecond.json.access_token);
    await expectDeadRefresh(user.refreshToken);
    await expectDeadRefresh(rotatedSecond.json.refresh_token);
    await expectLiveSession(bystander);
    await expectLiveSession(await login(user.email, user.password));
  });

  it.each(["everywhere", "GLOBAL", ""])(
    "POST /auth/logout refuses scope=%s with 422",
    async (scope) => {
      const user = await signUp();
      const res = await call(`/auth/logout?scope=${scope}`, { method: "POST", token: user.token });
      const problem = expectProblem(res, 422, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toContain("query.scope");
      await expectLiveSession(user);
    },
  );

  it("POST /auth/logout without a token is 401 with WWW-Authenticate", async () => {
    const res = await call("/auth/logout", { method: "POST" });
    expectProblem(res, 401, "unauthorized");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
  });

  it("POST /auth/logout refuses an unknown body field with 422", async () => {
    const user = await signUp();
    const res = await call("/auth/logout", { body: { everything: true }, token: user.token });
    expectProblem(res, 422, "validation_failed");
    await expectLiveSession(user);
  });
});

describe("POST /auth/change-password", () => {
  function changePassword(session: Session, current: string, next: string) {
    return call("/auth/change-password", {
      body: { current_password: current, new_password: next },
      token: session.token,
    });
  }

  it("POST /auth/change-password refuses a wrong current password with 400", async () => {
    const user = await signUp();
    const res = await changePassword(user, "Not-The-Password-1", NEW_PASSWORD);
    expectProblem(res, 400, "invalid_current_password");
    await expectLiveSession(user);
    await login(user.email, PASSWORD);
  });

  it.each([
    ["a common password", "password1", "weak_password"],
    ["the username", "", "weak_password"],
    ["more than 72 bytes", "é".repeat(37), "password_too_long"],
    ["fewer than 8 characters", "Ab1-xyz", "validation_failed"],
  ])("POST /auth/change-password refuses %s as new password with 422", async (_l, next, code) => {
    const user = await signUp();
    const res = await changePassword(user, PASSWORD, next || `${user.username}-Extra-9`);
    expectProblem(res, 422, code);
    await expectLiveSession(user);
    await login(user.email, PASSWORD);
  });

  it("POST /auth/change-password returns working tokens and ends the user's other sessions", async () => {
    const user = await signUp();
    const other = await login(user.email, user.password);
    const res = await changePassword(user, PASSWORD, NEW_PASSWORD);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      message: "Password changed successfully",
      token_type: "Bearer",
    });
    expect(res.headers.get("cache-control")).toContain("no-store");
    await expectLiveSession({ token: res.json.access_token, refreshToken: res.json.refresh_token });

    await expectDeadAccess(other.token);
    await expectDeadRefresh(other.refreshToken);
    const old = await call("/auth/login", { body: { email: user.email, password: PASSWORD } });
    expectProblem(old, 401, "invalid_credentials");
    await login(user.email, NEW_PASSWORD);
  });

  it("POST /auth/change-password without a token is 401", async () => {
    const res = await call("/auth/change-password", {
      body: { current_password: PASSWORD, new_password: NEW_PASSWORD },
    });
    expectProblem(res, 401, "unauthorized");
  });
});

describe("GET and PATCH /users/me", () => {
  it("GET /users/me returns the caller with an ETag and no-store", async () => {
    const user = await signUp();
    const res = await me(user.token);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual(user.user);
    expect(res.headers.get("etag")).toMatch(/^"\d+"$/);
    expect(res.headers.get("cache-control")).toContain("no-store");
  });

  it.each([{ role: "ADMIN" }, { active: false }])(
    "PATCH /users/me refuses %o from a non-admin with 403",
    async (body) => {
      const user = await signUp();
      const res = await call("/users/me", { method: "PATCH", body, token: user.token });
      expectProblem(res, 403, "forbidden");
      const after = await me(user.token);
      expect(after.json).toEqual(user.user);
    },
  );

  it("PATCH /users/me honours If-Match", async () => {
    const user = await signUp();
    const etag = (await me(user.token)).headers.get("etag") as string;
    const ok = await call("/users/me", {
      method: "PATCH",
      body: { first_name: "Matched" },
      headers: { "If-Match": etag },
      token: user.token,
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.headers.get("etag")).not.toBe(etag);
    const stale = await call("/users/me", {
      method: "PATCH",
      body: { first_name: "Stale" },
      headers: { "If-Match": etag },
      token: user.token,
    });
    expectProblem(stale, 412, "precondition_failed");
    expect((await me(user.token)).json.first_name).toBe("Matched");
  });
});

describe("ETag and If-Match on /users/{id}", () => {
  it("PATCH /users/{id} with the current ETag succeeds and returns the next ETag", async () => {
    const user = await signUp();
    const got = await call(`/users/${user.id}`, { token: user.token });
    const etag = got.headers.get("etag") as string;
    expect(etag).toMatch(/^"\d+"$/);
    const res = await call(`/users/${user.id}`, {
      method: "PATCH",
      body: { last_name: "Tagged" },
      headers: { "If-Match": etag },
      token: user.token,
    });
    expect(res.status, res.text).toBe(200);
    const next = res.headers.get("etag");
    expect(next).toMatch(/^"\d+"$/);
    expect(next).not.toBe(etag);
    expect((await call(`/users/${user.id}`, { token: user.token })).headers.get("etag")).toBe(next);
  });

  it.each(["PATCH", "PUT"])(
    "%s /users/{id} with a stale ETag is 412 and changes nothing",
    async (method) => {
      const user = await signUp();
      const admin = await signUp({ admin: true });
      const etag = (await call(`/users/${user.id}`, { token: user.token })).headers.get("etag");
      const meanwhile = await call(`/users/${user.id}`, {
        method: "PATCH",
        body: { first_name: "Meanwhile" },
        token: admin.token,
      });
      expect(meanwhile.status).toBe(200);
      const res = await call(`/users/${user.id}`, {
        method,
        body: { first_name: "Overwrite" },
        headers: { "If-Match": etag as string },
        token: user.token,
      });
      expectProblem(res, 412, "precondition_failed");
      expect((await me(user.token)).json.first_name).toBe("Meanwhile");
    },
  );

  it("PUT /users/{id} with the current ETag succeeds", async () => {
    const user = await signUp();
    const etag = (await me(user.token)).headers.get("etag") as string;
    const res = await call(`/users/${user.id}`, {
      method: "PUT",
      body: { first_name: "Put" },
      headers: { "If-Match": etag },
      token: user.token,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.first_name).toBe("Put");
  });

  it("PATCH /users/{id} with If-Match: * succeeds", async () => {
    const user = await signUp();
    const res = await call(`/users/${user.id}`, {
      method: "PATCH",
      body: { first_name: "Star" },
      headers: { "If-Match": "*" },
      token: user.token,
    });
    expect(res.status, res.text).toBe(200);
  });

  it("PATCH /users/{id} with an If-Match list succeeds when any listed ETag is current", async () => {
    const user = await signUp();
    const etag = (await me(user.token)).headers.get("etag");
    const res = await call(`/users/${user.id}`, {
      method: "PATCH",
      body: { first_name: "Listed" },
      headers: { "If-Match": `"999", W/"5", ${etag}` },
      token: user.token,
    });
    expect(res.status, res.text).toBe(200);
    const stale = await call(`/users/${user.id}`, {
      method: "PATCH",
      body: { first_name: "Stale" },
      headers: { "If-Match": `"999", ${etag}` },
      token: user.token,
    });
    expectProblem(stale, 412, "precondition_failed");
  });

  it.each(["garbage", '"abc"', '"-1"', 'W/"1"', '"999999999"', "1"])(
    "PATCH /users/{id} with If-Match %s is 412",
    async (ifMatch) => {
      const user = await signUp();
      const res = await call(`/users/${user.id}`, {
        method: "PATCH",
        body: { first_name: "Nope" },
        headers: { "If-Match": ifMatch },
        token: user.token,
      });
      expectProblem(res, 412, "precondition_failed");
      expect((await me(user.token)).json.first_name).toBe("Test");
    },
  );

  it("PATCH /users/{id} with one ETag sent twice at the same moment succeeds once", async () => {
    const user = await signUp();
    const etag = (await me(user.token)).headers.get("etag") as string;
    const results = await Promise.all(
      ["One", "Two"].map((first_name) =>
        call(`/users/${user.id}`, {
          method: "PATCH",
          body: { first_name },
          headers: { "If-Match": etag },
          token: user.token,
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses, results.map((r) => r.text).join(" | ")).toEqual([200, 412]);
    const winner = results.find((r) => r.status === 200);
    expect((await me(user.token)).json.first_name).toBe(winner?.json.user.first_name);
  });

  it("PATCH /users/{id} by an admin honours If-Match too", async () => {
    const admin = await signUp({ admin: true });
    const user = await registerUser();
    const etag = (await call(`/users/${user.id}`, { token: admin.token })).headers.get("etag");
    const first = await call(`/users/${user.id}`, {
      method: "PATCH",
      body: { active: false },
      headers: { "If-Match": etag as string },
      token: admin.token,
    });
    expect(first.status, first.text).toBe(200);
    const second = await call(`/users/${user.id}`, {
      method: "PATCH",
      body: { active: true },
      headers: { "If-Match": etag as string },
      token: admin.token,
    });
    expectProblem(second, 412, "precondition_failed");
  });
});

describe("revocation ends access on the very next request", () => {
  type Trigger = (victim: Session, admin: Session) => Promise<unknown>;
  const triggers: [string, Trigger][] = [
    [
      "global logout from another session",
      async (victim) => {
        const other = await login(victim.email, victim.password);
        const res = await call("/auth/logout?scope=global", { method: "POST", token: other.token });
        expect(res.status).toBe(204);
      },
    ],
    [
      "a password change from another session",
      async (victim) => {
        const other = await login(victim.email, victim.password);
        const res = await call("/auth/change-password", {
          body: { current_password: victim.password, new_password: NEW_PASSWORD },
          token: other.token,
        });
        expect(res.status, res.text).toBe(200);
      },
    ],
    [
      "a password reset",
      async (victim) => {
        const forgot = await call("/auth/forgot-password", { body: { email: victim.email } });
        expect(forgot.status).toBe(202);
        const res = await call("/auth/reset-password", {
          body: { reset_token: await resetTokenFor(victim.email), new_password: NEW_PASSWORD },
        });
        expect(res.status, res.text).toBe(200);
      },
    ],
    [
      "a role change",
      async (victim, admin) => {
        const res = await call(`/users/${victim.id}`, {
          method: "PATCH",
          body: { role: "ADMIN" },
          token: admin.token,
        });
        expect(res.status, res.text).toBe(200);
      },
    ],
    [
      "deactivation",
      async (victim, admin) => {
        const res = await call(`/users/${victim.id}`, {
          method: "PATCH",
          body: { active: false },
          token: admin.token,
        });
        expect(res.status, res.text).toBe(200);
      },
    ],
    [
      "deletion",
      async (victim, admin) => {
        const res = await call(`/users/${victim.id}`, { method: "DELETE", token: admin.token });
        expect(res.status, res.text).toBe(200);
      },
    ],
  ];

  it.each(triggers)("%s ends the user's access and refresh tokens", async (_label, trigger) => {
    const admin = await signUp({ admin: true });
    const victim = await signUp();
    const rotated = await refresh(victim.refreshToken);
    expect(rotated.status).toBe(200);
    await trigger(victim, admin);
    await expectDeadAccess(victim.token);
    await expectDeadAccess(rotated.json.access_token);
    await expectDeadRefresh(rotated.json.refresh_token);
  });
});

describe("token cleanup cron", () => {
  it("the scheduled handler never deletes the revoked row that keeps a family dead", async () => {
    const revokedLongAgo = await signUp();
    const revokedRecently = await signUp();
    for (const user of [revokedLongAgo, revokedRecently]) {
      expect((await refresh(user.refreshToken)).status).toBe(200);
      // Only the first (spent) row is revoked, as when a refresh raced the logout: its
      // successor escaped the revocation and is dead only through it.
      await db(
        "update refresh_tokens set revoked_at = now() - $2::interval where user_id = $1 and spent_at is not null",
        [user.id, user === revokedLongAgo ? "2 days" : "1 minute"],
      );
    }
    await db(
      "update refresh_tokens set expires_at = now() - interval '1 minute' where user_id = $1 and spent_at is not null",
      [revokedRecently.id],
    );
    await worker.scheduled(createScheduledController(), testEnv as never);
    expect(await countRows("refresh_tokens", revokedLongAgo.id)).toBe(0);
    expect(await countRows("refresh_tokens", revokedRecently.id)).toBe(2);
  });

  it("the scheduled handler deletes expired and long-revoked tokens and keeps live ones", async () => {
    const expired = await signUp();
    const live = await signUp();
    const spent = await signUp();
    const revokedLongAgo = await signUp();
    const revokedRecently = await signUp();
    for (const user of [expired, live]) {
      const res = await call("/auth/forgot-password", { body: { email: user.email } });
      expect(res.status).toBe(202);
    }
    await db(
      "update refresh_tokens set expires_at = now() - interval '1 minute' where user_id = $1",
      [expired.id],
    );
    await db(
      "update password_reset_tokens set expires_at = now() - interval '1 minute' where user_id = $1",
      [expired.id],
    );
    const rotated = await refresh(spent.refreshToken);
    expect(rotated.status).toBe(200);
    await ageSpentTokens(spent.id);
    await db(
      "update refresh_tokens set revoked_at = now() - interval '2 days' where user_id = $1",
      [revokedLongAgo.id],
    );
    expect(
      (await call("/auth/logout", { method: "POST", token: revokedRecently.token })).status,
    ).toBe(204);

    expect(await countRows("refresh_tokens", expired.id)).toBe(1);
    expect(await countRows("password_reset_tokens", expired.id)).toBe(1);
    await worker.scheduled(createScheduledController(), testEnv as never);

    expect(await countRows("refresh_tokens", expired.id)).toBe(0);
    expect(await countRows("password_reset_tokens", expired.id)).toBe(0);
    expect(await countRows("refresh_tokens", revokedLongAgo.id)).toBe(0);
    expect(await countRows("refresh_tokens", live.id)).toBe(1);
    expect(await countRows("password_reset_tokens", live.id)).toBe(1);
    // A spent token is kept until it expires, so its replay is still recognised.
    expect(await countRows("refresh_tokens", spent.id)).toBe(2);
    expect(await countRows("refresh_tokens", revokedRecently.id)).toBe(1);

    await expectLiveSession(live);
    const reset = await call("/auth/reset-password", {
      body: { reset_token: await resetTokenFor(live.email), new_password: NEW_PASSWORD },
    });
    expect(reset.status, reset.text).toBe(200);
    await expectDeadRefresh(spent.refreshToken);
    await expectDeadRefresh(rotated.json.refresh_token);
  });
});
