// The security log: every security-relevant change leaves an event, written in the same
// statement as the change (a failed change leaves none), readable by the user and admins.
import { createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { db, login, NEW_PASSWORD, PASSWORD, signUp, uniqueName } from "./helpers/factories";
import { follow, linksOf, walk } from "./helpers/pages";
import { mailedToken, reset } from "./helpers/password-reset";
import { changePassword, logout, refresh } from "./helpers/sessions";
import { deleteUser, updateUser } from "./helpers/users";
import { call, expectProblem, testEnv } from "./helpers/worker";

type Event = {
  id: string;
  type: string;
  at: string;
  actor_id: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: Record<string, unknown>;
};

async function eventsOf(token: string, userId: string, query = ""): Promise<Event[]> {
  const res = await call(`/users/${userId}/events?per_page=100${query}`, { token });
  expect(res.status, res.text).toBe(200);
  return res.json;
}

const typesOf = (events: Event[]) => events.map((event) => event.type);

describe("events recorded with each change", () => {
  it("registration, login, refresh reuse, password change and logout, newest first", async () => {
    const user = await signUp();
    const first = await refresh(user.refreshToken);
    expect(first.status).toBe(200);
    expect((await refresh(first.json.refresh_token)).status).toBe(200);
    // A grandparent: theft detection ends the family and records it.
    expectProblem(await refresh(user.refreshToken), 401, "invalid_refresh_token");
    const fresh = await login(user.email, user.password);
    const changed = await changePassword(fresh.token, user.password, NEW_PASSWORD);
    expect(changed.status, changed.text).toBe(200);
    expect((await logout(changed.json.access_token)).status).toBe(204);
    const session = await login(user.email, NEW_PASSWORD);
    const events = await eventsOf(session.token, user.id);
    expect(typesOf(events).reverse()).toEqual([
      "user.registered",
      "login.succeeded",
      "refresh.reuse_detected",
      "login.succeeded",
      "password.changed",
      "session.ended",
      "login.succeeded",
    ]);
    for (const event of events) {
      expect(Object.keys(event).sort()).toEqual([
        "actor_id",
        "at",
        "detail",
        "id",
        "ip",
        "type",
        "user_agent",
      ]);
    }
    const reuse = events.find((event) => event.type === "refresh.reuse_detected");
    expect(reuse?.actor_id).toBeNull();
    expect(reuse?.detail).toHaveProperty("session_id");
  });

  it("login.failed for an existing account only, with no actor", async () => {
    const user = await signUp();
    const unknown = `nobody_${crypto.randomUUID()}@example.test`;
    for (const email of [user.email, unknown]) {
      const res = await call("/auth/login", { body: { email, password: "wrong-password-1" } });
      expectProblem(res, 401, "invalid_credentials");
    }
    const failed = await eventsOf(user.token, user.id, "&type=login.failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.actor_id).toBeNull();
    const [row] = await db<{ n: number }>(
      "select count(*)::int as n from security_events where type = 'login.failed' and user_id not in (select id from users)",
    );
    expect(Number(row?.n)).toBe(0);
  });

  it("an admin's changes name the admin as actor: role, deactivation, activation, email", async () => {
    const admin = await signUp({ admin: true });
    const user = await signUp();
    for (const body of [
      { role: "ADMIN" },
      { active: false },
      { active: true },
      { email: `${uniqueName("moved")}@example.test` },
    ]) {
      const res = await updateUser(admin.token, user.id, body);
      expect(res.status, res.text).toBe(200);
    }
    const events = await eventsOf(admin.token, user.id);
    const byAdmin = events.filter((event) => event.actor_id === admin.id);
    expect(typesOf(byAdmin).reverse()).toEqual([
      "role.changed",
      "user.deactivated",
      "user.activated",
      "email.changed",
    ]);
    expect(byAdmin.find((event) => event.type === "role.changed")?.detail).toEqual({
      from: "USER",
      to: "ADMIN",
    });
  });

  it("password reset: requested and reset, with no token in any detail", async () => {
    const user = await signUp();
    const { token } = await mailedToken(user.email);
    expect((await reset(token)).status).toBe(200);
    const session = await login(user.email, NEW_PASSWORD);
    const events = await eventsOf(session.token, user.id);
    expect(typesOf(events)).toEqual(
      expect.arrayContaining(["password.reset_requested", "password.reset"]),
    );
    const stored = await db<{ detail: unknown; type: string }>(
      "select detail, type from security_events where user_id = $1",
      [user.id],
    );
    const text = JSON.stringify(stored);
    expect(text).not.toContain(token);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain("$2");
  });

  it("a deleted user's events stay readable by admins at GET /events?user_id=", async () => {
    const admin = await signUp({ admin: true });
    const user = await signUp();
    expect((await deleteUser(admin.token, user.id)).status).toBe(200);
    const res = await call(`/events?user_id=${user.id}`, { token: admin.token });
    expect(res.status, res.text).toBe(200);
    expect(typesOf(res.json)).toEqual(["user.deleted", "login.succeeded", "user.registered"]);
    expect(res.json[0].actor_id).toBe(admin.id);
  });
});

describe("events and their change commit together", () => {
  it("a refused change records nothing: wrong If-Match, taken email, last admin", async () => {
    const user = await signUp();
    const taken = await signUp();
    const before = (await eventsOf(user.token, user.id)).length;
    const stale = await updateUser(user.token, "me", { first_name: "X" }, { ifMatch: '"999"' });
    expectProblem(stale, 412, "precondition_failed");
    const conflict = await updateUser(user.token, "me", {
      email: taken.email,
      current_password: user.password,
    });
    expectProblem(conflict, 409, "conflict");
    expect(await eventsOf(user.token, user.id)).toHaveLength(before);
  });

  it("a change the database rolls back records nothing, and a committed one always has its event", async () => {
    const user = await signUp();
    const admin = await signUp({ admin: true });
    // A trigger fails the update after the statement's other parts ran: nothing may remain.
    await db(`create or replace function refuse_marked() returns trigger language plpgsql as $$
      begin
        if new.last_name = 'refused' then raise exception 'refused by test'; end if;
        return new;
      end $$`);
    await db("drop trigger if exists refuse_marked on users");
    await db(
      "create trigger refuse_marked before update on users for each row execute function refuse_marked()",
    );
    const refused = await updateUser(admin.token, user.id, { role: "ADMIN", last_name: "refused" });
    expect(refused.status).toBe(500);
    const count = async () =>
      Number(
        (
          await db<{ n: number }>(
            "select count(*)::int as n from security_events where user_id = $1 and type = 'role.changed'",
            [user.id],
          )
        )[0]?.n,
      );
    expect(await count()).toBe(0);
    const committed = await updateUser(admin.token, user.id, { role: "ADMIN" });
    expect(committed.status, committed.text).toBe(200);
    expect(await count()).toBe(1);
  });
});

describe("GET /users/{id}/events", () => {
  it("is paginated with X-Total-Count and Link, and filtered by type", async () => {
    const user = await signUp();
    for (let i = 0; i < 3; i++) await login(user.email, user.password);
    const res = await call(`/users/${user.id}/events?per_page=2&page=2`, { token: user.token });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("x-total-count")).toBe("5");
    expect(linksOf(res).next?.searchParams.get("cursor")).toBeTruthy();
    expect(res.json).toHaveLength(2);
    const logins = await eventsOf(user.token, user.id, "&type=login.succeeded");
    expect(logins).toHaveLength(4);
  });

  it("pages newest first by cursor through events recorded meanwhile, on both paths", async () => {
    const admin = await signUp({ admin: true });
    const user = await signUp();
    for (let i = 0; i < 5; i++) await login(user.email, user.password);
    const before = (await eventsOf(user.token, user.id)).map((event) => event.id);
    // user.registered and six logins (signUp's and five more).
    expect(before).toHaveLength(7);
    // New events land at the head of the list while a client pages towards its tail.
    const [seen] = await Promise.all([
      walk(user.token, `/users/${user.id}/events?per_page=2`),
      Promise.all([0, 1, 2, 3].map(() => login(user.email, user.password))),
    ]);
    expect(seen).toHaveLength(new Set(seen).size);
    for (const id of before) expect(seen).toContain(id);
    expect(seen.indexOf(before[0] as string)).toBeLessThan(seen.indexOf(before[6] as string));

    // An admin's /events of that user is the same list: the same rows and cursors.
    const first = await call(`/events?user_id=${user.id}&per_page=4`, { token: admin.token });
    expect(first.headers.get("x-total-count")).toBe("11");
    const onUserPath = linksOf(first).next as URL;
    const next = await call(
      `/users/${user.id}/events?per_page=4&cursor=${onUserPath.searchParams.get("cursor")}`,
      { token: admin.token },
    );
    expect(next.status, next.text).toBe(200);
    expect(next.json.map((event: Event) => event.id)).toEqual(
      (await follow(admin.token, onUserPath)).json.map((event: Event) => event.id),
    );
    const logins = await walk(
      admin.token,
      `/events?user_id=${user.id}&type=login.succeeded&per_page=3`,
    );
    expect(logins).toHaveLength(10);
  });

  it("refuses a cursor of another filter or user, and pages past 10,000 rows deep", async () => {
    const admin = await signUp({ admin: true });
    const user = await signUp();
    await login(user.email, user.password);
    const res = await call(`/users/${user.id}/events?per_page=1`, { token: user.token });
    const cursor = linksOf(res).next?.searchParams.get("cursor");
    for (const path of [
      `/users/${user.id}/events?type=login.succeeded&cursor=${cursor}`,
      `/users/${admin.id}/events?cursor=${cursor}`,
      `/events?cursor=${cursor}`,
      `/auth/sessions?cursor=${cursor}`,
    ]) {
      const refused = expectProblem(
        await call(path, { token: admin.token }),
        422,
        "validation_failed",
      );
      expect(refused.errors?.[0]?.path, path).toBe("query.cursor");
    }
    const deep = await call("/events?per_page=20&page=501", { token: admin.token });
    expect(expectProblem(deep, 422, "validation_failed").errors?.[0]?.message).toContain("cursor");
  });

  it("refuses another user's events with 403 and an unknown type with 422", async () => {
    const user = await signUp();
    const other = await signUp();
    const res = await call(`/users/${other.id}/events`, { token: user.token });
    expectProblem(res, 403, "forbidden");
    const bad = await call(`/users/${user.id}/events?type=nope`, { token: user.token });
    expectProblem(bad, 422, "validation_failed");
    expectProblem(await call(`/events`, { token: user.token }), 403, "forbidden");
    expectProblem(await call(`/users/${user.id}/events`), 401, "unauthorized");
  });
});

describe("the cleanup cron", () => {
  it("deletes events older than EVENTS_RETENTION_DAYS and keeps the rest", async () => {
    const user = await signUp();
    await db(
      "update security_events set at = now() - interval '91 days' where user_id = $1 and type = 'user.registered'",
      [user.id],
    );
    await worker.scheduled(createScheduledController(), testEnv as never);
    const types = typesOf(await eventsOf(user.token, user.id));
    expect(types).not.toContain("user.registered");
    expect(types).toContain("login.succeeded");
  });
});
