import { describe, expect, it } from "vitest";
import { login, signUp } from "./helpers/factories";
import {
  expectBearerChallenge,
  expectDeadAccess,
  expectDeadRefresh,
  expectLiveSession,
  logout,
  refresh,
} from "./helpers/sessions";
import { call, expectProblem } from "./helpers/worker";

describe("POST /auth/logout", () => {
  it("ends only the current session by default", async () => {
    const user = await signUp();
    const other = await login(user.email, user.password);
    const res = await logout(user.token);
    expect(res.status, res.text).toBe(204);
    await expectDeadAccess(user.token);
    await expectDeadRefresh(user.refreshToken);
    await expectLiveSession(other);
  });

  it("ends a rotated session, including access tokens issued before rotation", async () => {
    const user = await signUp();
    const rotated = await refresh(user.refreshToken);
    expect(rotated.status).toBe(200);
    const res = await logout(rotated.json.access_token);
    expect(res.status, res.text).toBe(204);
    await expectDeadAccess(user.token);
    await expectDeadAccess(rotated.json.access_token);
    await expectDeadRefresh(rotated.json.refresh_token);
  });

  it("racing a refresh of the same session leaves nothing usable", async () => {
    for (let round = 0; round < 5; round++) {
      const user = await signUp();
      const [rotated, loggedOut] = await Promise.all([
        refresh(user.refreshToken),
        logout(user.token),
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

  it("with the refresh_token of another session ends that session", async () => {
    const user = await signUp();
    const other = await login(user.email, user.password);
    const res = await logout(user.token, { body: { refresh_token: other.refreshToken } });
    expect(res.status, res.text).toBe(204);
    await expectDeadRefresh(other.refreshToken);
    await expectDeadAccess(other.token);
  });

  it.each([
    ["Swagger UI's default body", { refresh_token: "string" }],
    ["an unknown refresh_token", { refresh_token: "an-unknown-token-0123456789" }],
  ])("with %s still ends the caller's own session", async (_label, body) => {
    const user = await signUp();
    const res = await logout(user.token, { body });
    expect(res.status, res.text).toBe(204);
    await expectDeadAccess(user.token);
    await expectDeadRefresh(user.refreshToken);
  });

  it("with another user's refresh_token ends the caller's session and nothing of theirs", async () => {
    const attacker = await signUp();
    const victim = await signUp();
    const res = await logout(attacker.token, { body: { refresh_token: victim.refreshToken } });
    expect(res.status, res.text).toBe(204);
    await expectDeadAccess(attacker.token);
    await expectLiveSession(victim);
  });

  it("with another user's refresh_token does nothing to them", async () => {
    const attacker = await signUp();
    const victim = await signUp();
    const res = await logout(attacker.token, { body: { refresh_token: victim.refreshToken } });
    expect(res.status).toBeLessThan(500);
    await expectLiveSession(victim);
  });

  it("with scope=global ends every session and access token of the user", async () => {
    const user = await signUp();
    const second = await login(user.email, user.password);
    const rotatedSecond = await refresh(second.refreshToken);
    const bystander = await signUp();
    const res = await logout(user.token, { scope: "global" });
    expect(res.status, res.text).toBe(204);
    await expectDeadAccess(user.token);
    await expectDeadAccess(second.token);
    await expectDeadAccess(rotatedSecond.json.access_token);
    await expectDeadRefresh(user.refreshToken);
    await expectDeadRefresh(rotatedSecond.json.refresh_token);
    await expectLiveSession(bystander);
    await expectLiveSession(await login(user.email, user.password));
  });

  it.each(["everywhere", "GLOBAL", ""])("refuses scope=%s with 422", async (scope) => {
    const user = await signUp();
    const problem = expectProblem(await logout(user.token, { scope }), 422, "validation_failed");
    expect(problem.errors?.map((e) => e.path)).toContain("query.scope");
    await expectLiveSession(user);
  });

  it("refuses an unknown body field with 422", async () => {
    const user = await signUp();
    const res = await logout(user.token, { body: { everything: true } });
    expectProblem(res, 422, "validation_failed");
    await expectLiveSession(user);
  });

  it("without a token is 401 with WWW-Authenticate", async () => {
    const res = await call("/auth/logout", { method: "POST" });
    expectProblem(res, 401, "unauthorized");
    expectBearerChallenge(res);
  });
});
