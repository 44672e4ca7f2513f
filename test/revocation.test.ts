import { describe, expect, it } from "vitest";
import { setActive, signUp } from "./helpers/factories";
import { expectDeadAccess, expectDeadRefresh, me } from "./helpers/sessions";
import { call } from "./helpers/worker";

describe("GET /users/me", () => {
  it("refuses the live token of a deleted user with 401", async () => {
    const session = await signUp();
    const admin = await signUp({ admin: true });
    const deleted = await call(`/users/${session.id}`, { method: "DELETE", token: admin.token });
    expect(deleted.status, deleted.text).toBe(200);
    await expectDeadAccess(session.token);
    await expectDeadRefresh(session.refreshToken);
  });

  it("refuses the live token of a deactivated user on the very next request", async () => {
    const session = await signUp();
    expect((await me(session.token)).status).toBe(200);
    await setActive(session.id, false);
    await expectDeadAccess(session.token);
    await expectDeadRefresh(session.refreshToken);
  });
});
