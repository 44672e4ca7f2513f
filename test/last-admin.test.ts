// Every test here starts by making the admins it names the only active admins of this file's
// database (it deletes the others), so the "last active admin" rule is under its control.
import { describe, expect, it } from "vitest";
import { login, registerUser, type Session, signUp } from "./helpers/factories";
import { expectDeadAccess, me } from "./helpers/sessions";
import { deleteUser, ids, listUsers, updateUser } from "./helpers/users";
import { type CallResult, call, expectProblem } from "./helpers/worker";

async function activeAdminIds(admin: Session): Promise<string[]> {
  const res = await listUsers(admin.token, "role=ADMIN&active=true&per_page=100");
  expect(res.status, res.text).toBe(200);
  expect(Number(res.headers.get("x-total-count"))).toBe(res.json.length);
  return ids(res).sort();
}

/** Fresh admins that are, from now on, the only active admins. */
async function onlyAdmins(count: number): Promise<Session[]> {
  const admins: Session[] = [];
  for (let i = 0; i < count; i++) admins.push(await signUp({ admin: true }));
  const [keeper] = admins as [Session];
  const keep = admins.map((admin) => admin.id);
  for (const id of await activeAdminIds(keeper)) {
    if (keep.includes(id)) continue;
    const res = await deleteUser(keeper.token, id);
    expect(res.status, res.text).toBe(200);
  }
  expect(await activeAdminIds(keeper)).toEqual([...keep].sort());
  return admins;
}

async function expectStillSoleAdmin(admin: Session) {
  const mine = await me(admin.token);
  expect(mine.status, mine.text).toBe(200);
  expect(mine.json).toMatchObject({ role: "ADMIN", active: true });
  expect(await activeAdminIds(admin)).toEqual([admin.id]);
}

describe("with a single active admin", () => {
  it.each([
    ["/users/{id}", { role: "USER" }],
    ["/users/me", { role: "USER" }],
    ["/users/{id}", { active: false }],
    ["/users/me", { active: false }],
    ["/users/{id}", { role: "USER", active: false }],
  ])("PATCH %s refuses %o from that admin with 409 last_admin", async (path, body) => {
    const [admin] = (await onlyAdmins(1)) as [Session];
    const res = await updateUser(admin.token, path === "/users/me" ? "me" : admin.id, body);
    expectProblem(res, 409, "last_admin");
    await expectStillSoleAdmin(admin);
  });

  it.each([
    [
      "PUT /users/{id} refuses to demote",
      (admin: Session) => updateUser(admin.token, admin.id, { role: "USER" }, { method: "PUT" }),
    ],
    ["DELETE /users/{id} refuses to delete", (admin: Session) => deleteUser(admin.token, admin.id)],
  ])("%s that admin with 409 last_admin", async (_title, act) => {
    const [admin] = (await onlyAdmins(1)) as [Session];
    expectProblem(await act(admin), 409, "last_admin");
    await expectStillSoleAdmin(admin);
  });

  it("PATCH /users/{id} lets that admin change their names and resend role ADMIN and active true", async () => {
    const [admin] = (await onlyAdmins(1)) as [Session];
    const res = await updateUser(admin.token, admin.id, {
      first_name: "Root",
      role: "ADMIN",
      active: true,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user).toMatchObject({ first_name: "Root", role: "ADMIN", active: true });
    await expectStillSoleAdmin(admin);
  });

  it("an admin who was deactivated does not count as another admin", async () => {
    const [admin, other] = (await onlyAdmins(2)) as [Session, Session];
    const off = await updateUser(admin.token, other.id, { active: false });
    expect(off.status, off.text).toBe(200);
    expect(off.json.user).toMatchObject({ role: "ADMIN", active: false });
    expectProblem(await updateUser(admin.token, admin.id, { role: "USER" }), 409, "last_admin");
    expectProblem(await deleteUser(admin.token, admin.id), 409, "last_admin");
    await expectStillSoleAdmin(admin);
  });

  it("that admin may deactivate an inactive admin's account further or delete it", async () => {
    const [admin, other] = (await onlyAdmins(2)) as [Session, Session];
    expect((await updateUser(admin.token, other.id, { active: false })).status).toBe(200);
    const again = await updateUser(admin.token, other.id, { role: "USER" });
    expect(again.status, again.text).toBe(200);
    expect((await deleteUser(admin.token, other.id)).status).toBe(200);
    await expectStillSoleAdmin(admin);
  });
});

describe("with two active admins", () => {
  it("PATCH /users/{id} lets one admin demote the other, who then cannot demote back", async () => {
    const [first, second] = (await onlyAdmins(2)) as [Session, Session];
    const res = await updateUser(first.token, second.id, { role: "USER" });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.role).toBe("USER");
    expectProblem(await updateUser(second.token, first.id, { role: "USER" }), 401, "invalid_token");
    expectProblem(await updateUser(first.token, first.id, { role: "USER" }), 409, "last_admin");
    await expectStillSoleAdmin(first);
  });

  it("PATCH /users/{id} lets an admin demote themself while another admin remains", async () => {
    const [first, second] = (await onlyAdmins(2)) as [Session, Session];
    const res = await updateUser(first.token, first.id, { role: "USER" });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.role).toBe("USER");
    await expectDeadAccess(first.token);
    const demoted = await login(first.email, first.password);
    expectProblem(await call("/users", { token: demoted.token }), 403, "forbidden");
    expectProblem(await updateUser(second.token, second.id, { active: false }), 409, "last_admin");
    await expectStillSoleAdmin(second);
  });

  it("DELETE /users/{id} lets one admin delete the other, then refuses the survivor's own", async () => {
    const [first, second] = (await onlyAdmins(2)) as [Session, Session];
    const res = await deleteUser(second.token, first.id);
    expect(res.status, res.text).toBe(200);
    expectProblem(await deleteUser(second.token, second.id), 409, "last_admin");
    await expectStillSoleAdmin(second);
  });

  it("PATCH /users/{id} lets the last admin step down once they have promoted a user", async () => {
    const [admin] = (await onlyAdmins(1)) as [Session];
    const user = await registerUser();
    const promoted = await updateUser(admin.token, user.id, { role: "ADMIN" });
    expect(promoted.status, promoted.text).toBe(200);
    const res = await updateUser(admin.token, admin.id, { role: "USER" });
    expect(res.status, res.text).toBe(200);
    const successor = { ...user, ...(await login(user.email, user.password)) };
    await expectStillSoleAdmin(successor);
  });
});

describe("with two active admins acting at the same moment", () => {
  type Action = (actor: Session, target: Session) => Promise<CallResult>;
  const actions: [string, Action][] = [
    ["demote", (actor, target) => updateUser(actor.token, target.id, { role: "USER" })],
    ["deactivate", (actor, target) => updateUser(actor.token, target.id, { active: false })],
    ["delete", (actor, target) => deleteUser(actor.token, target.id)],
  ];

  it.each(actions)(
    "the two who %s each other leave exactly one active admin",
    async (_label, act) => {
      for (let round = 0; round < 10; round++) {
        const [first, second] = (await onlyAdmins(2)) as [Session, Session];
        const results = await Promise.all([act(first, second), act(second, first)]);
        const detail = `round ${round}: ${results.map((r) => `${r.status} ${r.text}`).join(" | ")}`;
        const winners = results.filter((r) => r.status === 200);
        expect(winners, detail).toHaveLength(1);
        const loser = results.find((r) => r.status !== 200);
        // The loser either reached the guard (409) or was already revoked by the winner (401).
        expect([401, 409], detail).toContain(loser?.status);
        expectProblem(
          loser as (typeof results)[number],
          loser?.status as number,
          loser?.status === 409 ? "last_admin" : "invalid_token",
        );
        const survivor = results[0]?.status === 200 ? first : second;
        await expectStillSoleAdmin(survivor);
      }
    },
  );
});
