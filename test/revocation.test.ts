// Every way an account's sessions end must end them at once: access tokens too, not only when
// they expire.
import { describe, expect, it } from "vitest";
import { login, NEW_PASSWORD, type Session, setActive, signUp } from "./helpers/factories";
import { mailedToken, reset } from "./helpers/password-reset";
import {
  changePassword,
  expectDeadAccess,
  expectDeadRefresh,
  logout,
  me,
  refresh,
} from "./helpers/sessions";
import { call } from "./helpers/worker";

function patchUser(admin: Session, id: string, body: Record<string, unknown>) {
  return call(`/users/${id}`, { method: "PATCH", body, token: admin.token });
}

type Trigger = (victim: Session, admin: Session) => Promise<unknown>;
const triggers: [string, Trigger][] = [
  [
    "global logout from another session",
    async (victim) => {
      const other = await login(victim.email, victim.password);
      expect((await logout(other.token, { scope: "global" })).status).toBe(204);
    },
  ],
  [
    "a password change from another session",
    async (victim) => {
      const other = await login(victim.email, victim.password);
      const res = await changePassword(other.token, victim.password, NEW_PASSWORD);
      expect(res.status, res.text).toBe(200);
    },
  ],
  [
    "a password reset",
    async (victim) => {
      const { token } = await mailedToken(victim.email);
      const res = await reset({ reset_token: token, new_password: NEW_PASSWORD });
      expect(res.status, res.text).toBe(200);
    },
  ],
  [
    "a role change",
    async (victim, admin) => {
      const res = await patchUser(admin, victim.id, { role: "ADMIN" });
      expect(res.status, res.text).toBe(200);
    },
  ],
  [
    "deactivation",
    async (victim, admin) => {
      const res = await patchUser(admin, victim.id, { active: false });
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

describe("revocation ends access on the very next request", () => {
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
