// Every way an account's sessions end must end them at once: access tokens too, not only when
// they expire.
import { describe, expect, it } from "vitest";
import {
  db,
  expectLoginRefused,
  login,
  NEW_PASSWORD,
  type Session,
  setActive,
  signUp,
} from "./helpers/factories";
import { mailedToken, reset } from "./helpers/password-reset";
import {
  changePassword,
  expectDeadAccess,
  expectDeadRefresh,
  logout,
  me,
  refresh,
} from "./helpers/sessions";
import { deleteUser, getUser, updateUser } from "./helpers/users";
import { call, expectProblem } from "./helpers/worker";

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
      const res = await reset(token);
      expect(res.status, res.text).toBe(200);
    },
  ],
  [
    "a role change",
    async (victim, admin) => {
      const res = await updateUser(admin.token, victim.id, { role: "ADMIN" });
      expect(res.status, res.text).toBe(200);
    },
  ],
  [
    "deactivation",
    async (victim, admin) => {
      const res = await updateUser(admin.token, victim.id, { active: false });
      expect(res.status, res.text).toBe(200);
    },
  ],
  [
    "deletion",
    async (victim, admin) => {
      const res = await deleteUser(admin.token, victim.id);
      expect(res.status, res.text).toBe(200);
    },
  ],
];

describe("ending a user's sessions", () => {
  it.each(triggers)(
    "by %s ends their access and refresh tokens on the very next request",
    async (_label, trigger) => {
      const admin = await signUp({ admin: true });
      const victim = await signUp();
      const rotated = await refresh(victim.refreshToken);
      expect(rotated.status).toBe(200);
      await trigger(victim, admin);
      await expectDeadAccess(victim.token);
      await expectDeadAccess(rotated.json.access_token);
      await expectDeadRefresh(rotated.json.refresh_token);
    },
  );
});

describe("GET /users/me", () => {
  it("refuses the live token of a deleted user with 401", async () => {
    const session = await signUp();
    const admin = await signUp({ admin: true });
    const deleted = await deleteUser(admin.token, session.id);
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

describe("PATCH /users/{id} by an admin", () => {
  it.each([
    [
      "deactivating a user",
      { active: false },
      (target: Session) => expectLoginRefused(target.email, target.password),
    ],
    [
      "changing a user's role",
      { role: "ADMIN" },
      async (target: Session) => {
        const fresh = await login(target.email, target.password);
        const list = await call("/users?per_page=1", { token: fresh.token });
        expect(list.status, list.text).toBe(200);
      },
    ],
  ])("%s ends their access and refresh tokens at once", async (_label, body, afterwards) => {
    const admin = await signUp({ admin: true });
    const target = await signUp();
    const res = await updateUser(admin.token, target.id, body);
    expect(res.status, res.text).toBe(200);
    expect(res.json.user).toMatchObject(body);
    await expectDeadAccess(target.token);
    await expectDeadRefresh(target.refreshToken);
    await afterwards(target);
  });

  it("reactivating or re-demoting a user does not revive their old tokens", async () => {
    const admin = await signUp({ admin: true });
    const target = await signUp();
    for (const body of [{ active: false }, { active: true }, { role: "ADMIN" }, { role: "USER" }]) {
      const res = await updateUser(admin.token, target.id, body);
      expect(res.status, res.text).toBe(200);
    }
    await expectDeadAccess(target.token);
    await expectDeadRefresh(target.refreshToken);
    const fresh = await login(target.email, target.password);
    expect((await me(fresh.token)).json).toMatchObject({ role: "USER", active: true });
  });

  it("with unchanged role and active keeps the user's sessions", async () => {
    const admin = await signUp({ admin: true });
    const target = await signUp();
    const body = { role: "USER", active: true, first_name: "Same" };
    const res = await updateUser(admin.token, target.id, body);
    expect(res.status, res.text).toBe(200);
    expect((await me(target.token)).status).toBe(200);
  });
});

describe("a session with one revoked token among live ones", () => {
  // What a logout leaves when a racing refresh inserted the successor it missed: the session is
  // dead, however its tokens sort. The read of one user checks it in one index probe, where the
  // revoked tokens come first (family_is_live, drizzle/0016_session_liveness.sql).
  it("is refused by both reads of one user, for the user and for an admin", async () => {
    const admin = await signUp({ admin: true });
    const user = await signUp();
    for (const session of [admin, user]) {
      const rotated = await refresh(session.refreshToken);
      expect(rotated.status, rotated.text).toBe(200);
    }
    const reads = [
      () => me(user.token),
      () => getUser(user.token, user.id),
      () => getUser(admin.token, user.id),
      () => getUser(admin.token, crypto.randomUUID()),
    ];
    const before = await Promise.all(reads.map((read) => read()));
    expect(before.map((res) => res.status)).toEqual([200, 200, 200, 404]);
    expect(before[2]?.json.user).toEqual(before[0]?.json.user);

    // Only the spent login token is revoked: the family's live head is not.
    const revoked = await db<{ n: number }>(
      `update refresh_tokens set revoked_at = now()
       where user_id = any($1) and spent_at is not null returning 1 as n`,
      [[admin.id, user.id]],
    );
    expect(revoked).toHaveLength(2);
    for (const read of reads) expectProblem(await read(), 401, "invalid_token");
  });
});
