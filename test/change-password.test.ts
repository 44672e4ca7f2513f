import { describe, expect, it } from "vitest";
import { expectLoginRefused, login, NEW_PASSWORD, PASSWORD, signUp } from "./helpers/factories";
import {
  changePassword,
  expectDeadAccess,
  expectDeadRefresh,
  expectLiveSession,
} from "./helpers/sessions";
import { call, expectProblem } from "./helpers/worker";

describe("POST /auth/change-password", () => {
  it("refuses a wrong current password with 400", async () => {
    const user = await signUp();
    const res = await changePassword(user.token, "Not-The-Password-1", NEW_PASSWORD);
    expectProblem(res, 400, "invalid_current_password");
    await expectLiveSession(user);
    await login(user.email, PASSWORD);
  });

  it.each([
    ["a common password", "password1", "weak_password"],
    ["the username", "", "weak_password"],
    ["more than 72 bytes", "é".repeat(37), "password_too_long"],
    ["fewer than 8 characters", "Ab1-xyz", "validation_failed"],
  ])("refuses %s as new password with 422", async (_label, next, code) => {
    const user = await signUp();
    const res = await changePassword(user.token, PASSWORD, next || `${user.username}-Extra-9`);
    expectProblem(res, 422, code);
    await expectLiveSession(user);
    await login(user.email, PASSWORD);
  });

  it("returns working tokens and ends the user's other sessions", async () => {
    const user = await signUp();
    const other = await login(user.email, user.password);
    const res = await changePassword(user.token, PASSWORD, NEW_PASSWORD);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      message: "Password changed successfully",
      token_type: "Bearer",
    });
    expect(res.headers.get("cache-control")).toContain("no-store");
    await expectLiveSession({ token: res.json.access_token, refreshToken: res.json.refresh_token });

    await expectDeadAccess(other.token);
    await expectDeadRefresh(other.refreshToken);
    await expectLoginRefused(user.email, PASSWORD);
    await login(user.email, NEW_PASSWORD);
  });

  it("without a token is 401", async () => {
    const res = await call("/auth/change-password", {
      body: { current_password: PASSWORD, new_password: NEW_PASSWORD },
    });
    expectProblem(res, 401, "unauthorized");
  });
});
