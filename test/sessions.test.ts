// Sessions a user can see and end: each login is a session (a refresh token family) with its
// start, last refresh and client; ending one stops its tokens on their very next use.
import { describe, expect, it } from "vitest";
import { db, login, signUp } from "./helpers/factories";
import { decodeJwt } from "./helpers/jwt";
import { linksOf, walk } from "./helpers/pages";
import {
  expectDeadAccess,
  expectDeadRefresh,
  expectLiveSession,
  refresh,
} from "./helpers/sessions";
import { call, expectProblem } from "./helpers/worker";

const SESSION_KEYS = ["created_at", "current", "id", "ip", "last_used_at", "user_agent"];

function sessionsOf(token: string, path = "/auth/sessions") {
  return call(path, { token });
}

describe("GET /auth/sessions", () => {
  it("pages newest first by cursor, with the total, through logins meanwhile", async () => {
    const admin = await signUp({ admin: true });
    const user = await signUp();
    for (let i = 0; i < 4; i++) await login(user.email, user.password);
    const all = await sessionsOf(user.token);
    expect(all.headers.get("x-total-count")).toBe("5");
    const before = all.json.map((session: { id: string }) => session.id);
    // Newest first: the login of this very token is the oldest.
    expect(all.json.at(-1).current).toBe(true);

    const first = await call("/auth/sessions?per_page=2", { token: user.token });
    expect(first.json.map((session: { id: string }) => session.id)).toEqual(before.slice(0, 2));
    expect(Object.keys(linksOf(first)).sort()).toEqual(["first", "last", "next"]);
    const [seen] = await Promise.all([
      walk(user.token, "/auth/sessions?per_page=2"),
      Promise.all([0, 1, 2].map(() => login(user.email, user.password))),
    ]);
    expect(seen).toHaveLength(new Set(seen).size);
    for (const id of before) expect(seen).toContain(id);

    // An admin pages the user's sessions the same way; the user's own cursor is not theirs.
    const adminView = await walk(admin.token, `/users/${user.id}/sessions?per_page=3`);
    expect(adminView).toHaveLength(8);
    const cursor = linksOf(first).next?.searchParams.get("cursor");
    const foreign = await call(`/auth/sessions?cursor=${cursor}`, { token: admin.token });
    expect(expectProblem(foreign, 422, "validation_failed").errors?.[0]?.path).toBe("query.cursor");
    const altered = await call(
      `/auth/sessions?cursor=${cursor?.replace(/.$/, (last) => (last === "A" ? "B" : "A"))}`,
      {
        token: user.token,
      },
    );
    expectProblem(altered, 422, "validation_failed");
  });

  it("lists the caller's live sessions, newest first, with the current one marked", async () => {
    const user = await signUp();
    const phone = await call("/auth/login", {
      body: { email: user.email, password: user.password },
      headers: { "User-Agent": "PhoneApp/2.0", "CF-Connecting-IP": "203.0.113.77" },
    });
    expect(phone.status, phone.text).toBe(200);
    const res = await sessionsOf(user.token);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("cache-control")).toContain("no-store");
    expect(res.json).toHaveLength(2);
    for (const session of res.json) expect(Object.keys(session).sort()).toEqual(SESSION_KEYS);
    const [newest, oldest] = res.json;
    expect(newest).toMatchObject({
      user_agent: "PhoneApp/2.0",
      ip: "203.0.113.0/24",
      current: false,
    });
    expect(oldest.current).toBe(true);
    expect(Date.parse(newest.created_at)).toBeGreaterThanOrEqual(Date.parse(oldest.created_at));
  });

  it("coarsens an IPv6 client to its /48 and truncates a long user agent", async () => {
    const user = await signUp();
    const res = await call("/auth/login", {
      body: { email: user.email, password: user.password },
      headers: { "User-Agent": "x".repeat(1000), "CF-Connecting-IP": "2001:db8:abcd:12::1" },
    });
    expect(res.status, res.text).toBe(200);
    const [newest] = (await sessionsOf(res.json.access_token)).json;
    expect(newest.ip).toBe("2001:db8:abcd::/48");
    expect(newest.user_agent).toHaveLength(256);
  });

  it("moves last_used_at on refresh and keeps the session's start", async () => {
    const user = await signUp();
    const [before] = (await sessionsOf(user.token)).json;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const rotated = await refresh(user.refreshToken);
    expect(rotated.status, rotated.text).toBe(200);
    const [after] = (await sessionsOf(rotated.json.access_token)).json;
    expect(after.id).toBe(before.id);
    expect(after.created_at).toBe(before.created_at);
    expect(Date.parse(after.last_used_at)).toBeGreaterThan(Date.parse(before.last_used_at));
    expect(after.current).toBe(true);
  });

  it("leaves out ended sessions and never shows another user's", async () => {
    const user = await signUp();
    const other = await signUp();
    const second = await login(user.email, user.password);
    expect((await call("/auth/logout", { method: "POST", token: second.token })).status).toBe(204);
    const res = await sessionsOf(user.token);
    expect(res.json).toHaveLength(1);
    expect((await sessionsOf(other.token)).json).toHaveLength(1);
    expect(res.json[0].id).not.toBe((await sessionsOf(other.token)).json[0].id);
  });

  it("lists exactly the live sessions, each read from its newest token, however long its history", async () => {
    const admin = await signUp({ admin: true });
    const user = await signUp();
    /** A login from a client of its own, refreshed `times` times, each from `agent/<n>`. */
    async function session(agent: string, times: number) {
      const started = await call("/auth/login", {
        body: { email: user.email, password: user.password },
        headers: { "User-Agent": `${agent}/0` },
      });
      expect(started.status, started.text).toBe(200);
      let tokens = { access: started.json.access_token, refresh: started.json.refresh_token };
      for (let n = 1; n <= times; n++) {
        const res = await call("/auth/refresh", {
          body: { refresh_token: tokens.refresh },
          headers: { "User-Agent": `${agent}/${n}` },
        });
        expect(res.status, res.text).toBe(200);
        tokens = { access: res.json.access_token, refresh: res.json.refresh_token };
      }
      return {
        ...tokens,
        id: String(decodeJwt(tokens.access).payload.sid),
        agent: `${agent}/${times}`,
      };
    }
    const laptop = await session("Laptop", 30);
    const phone = await session("Phone", 3);
    const tablet = await session("Tablet", 0);
    const pruned = await session("Desktop", 4);
    const loggedOut = await session("Kiosk", 2);
    const expired = await session("Old", 2);
    const versioned = await session("Before", 1);
    const raced = await session("Racer", 2);
    // What the list showed by aggregating every token of a family: its first and last token.
    const family = await db<{ id: string; first: string; last: string; tokens: number }>(
      `select family_id as id, to_json(min(created_at)) #>> '{}' as first,
         to_json(max(created_at)) #>> '{}' as last,
         count(*)::int as tokens
       from refresh_tokens where user_id = $1 group by family_id`,
      [user.id],
    );
    const history = new Map(family.map((row) => [row.id, row]));
    expect(history.get(laptop.id)?.tokens).toBe(31);

    expect((await call("/auth/logout", { method: "POST", token: loggedOut.access })).status).toBe(
      204,
    );
    await db(
      "update refresh_tokens set expires_at = now() - interval '1 second' where family_id = $1 and spent_at is null",
      [expired.id],
    );
    // Issued under an older token version (as if before a sign-out everywhere).
    await db("update refresh_tokens set token_version = token_version - 1 where family_id = $1", [
      versioned.id,
    ]);
    // A logout that revoked the family while a racing refresh inserted the successor it missed.
    await db(
      "update refresh_tokens set revoked_at = now() where family_id = $1 and spent_at is not null",
      [raced.id],
    );
    // The cron deleted the session's expired tokens, the login's among them: it started then still.
    await db("delete from refresh_tokens where family_id = $1 and spent_at is not null", [
      pruned.id,
    ]);

    const current = { id: String(decodeJwt(user.token).payload.sid), agent: undefined };
    const expected = [laptop, phone, tablet, pruned, current]
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .map(({ id, agent }) => ({
        id,
        created_at: new Date(`${history.get(id)?.first}`).toISOString(),
        last_used_at: new Date(`${history.get(id)?.last}`).toISOString(),
        ...(agent ? { user_agent: agent } : {}),
      }));
    const listed = await sessionsOf(laptop.access);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.headers.get("x-total-count")).toBe("5");
    expect(listed.json).toMatchObject(expected);
    const ids = expected.map((live) => live.id);
    expect(await walk(laptop.access, "/auth/sessions?per_page=2")).toEqual(ids);
    expect(await walk(admin.token, `/users/${user.id}/sessions?per_page=3`)).toEqual(ids);
  });

  it("needs a token", async () => {
    expectProblem(await call("/auth/sessions"), 401, "unauthorized");
  });
});

describe("DELETE /auth/sessions/{id}", () => {
  it("ends one session: its refresh and access tokens die, the others live", async () => {
    const user = await signUp();
    const laptop = await login(user.email, user.password);
    const [laptopSession] = (await sessionsOf(laptop.token)).json.filter(
      (session: { current: boolean }) => session.current,
    );
    const res = await call(`/auth/sessions/${laptopSession.id}`, {
      method: "DELETE",
      token: user.token,
    });
    expect(res.status, res.text).toBe(204);
    await expectDeadAccess(laptop.token);
    await expectDeadRefresh(laptop.refreshToken);
    await expectLiveSession(user);
  });

  it("answers 404 for another user's session, which lives on", async () => {
    const user = await signUp();
    const victim = await signUp();
    const [victimSession] = (await sessionsOf(victim.token)).json;
    const res = await call(`/auth/sessions/${victimSession.id}`, {
      method: "DELETE",
      token: user.token,
    });
    expectProblem(res, 404, "not_found");
    await expectLiveSession(victim);
  });

  it("answers 404 for an unknown or already ended session and 422 for a malformed id", async () => {
    const user = await signUp();
    const laptop = await login(user.email, user.password);
    const end = (id: string) =>
      call(`/auth/sessions/${id}`, { method: "DELETE", token: user.token });
    expectProblem(await end(crypto.randomUUID()), 404, "not_found");
    const laptopSession = (await sessionsOf(laptop.token)).json.find(
      (session: { current: boolean }) => session.current,
    );
    expect((await end(laptopSession.id)).status).toBe(204);
    expectProblem(await end(laptopSession.id), 404, "not_found");
    expectProblem(await end("not-a-uuid"), 422, "validation_failed");
  });
});

describe("/users/{id}/sessions (admin)", () => {
  it("GET lists a user's sessions and DELETE ends them all", async () => {
    const admin = await signUp({ admin: true });
    const user = await signUp();
    const other = await login(user.email, user.password);
    const listed = await sessionsOf(admin.token, `/users/${user.id}/sessions`);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.json).toHaveLength(2);
    expect(listed.json.every((session: { current: boolean }) => !session.current)).toBe(true);
    const res = await call(`/users/${user.id}/sessions`, { method: "DELETE", token: admin.token });
    expect(res.status, res.text).toBe(204);
    for (const session of [user, other]) {
      await expectDeadAccess(session.token);
      await expectDeadRefresh(session.refreshToken);
    }
    await expectLiveSession(admin);
  });

  it("refuses a non-admin with 403 and answers 404 for an unknown user", async () => {
    const admin = await signUp({ admin: true });
    const user = await signUp();
    const victim = await signUp();
    for (const method of ["GET", "DELETE"]) {
      const path = `/users/${victim.id}/sessions`;
      expectProblem(await call(path, { method, token: user.token }), 403, "forbidden");
      const unknown = `/users/${crypto.randomUUID()}/sessions`;
      expectProblem(await call(unknown, { method, token: admin.token }), 404, "not_found");
    }
    await expectLiveSession(victim);
  });
});
