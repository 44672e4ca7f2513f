// The API through hono/client's `hc<AppType>`: every route, its input and its answers are typed
// from the app itself (a wrong field or path would not type-check), and it runs against the real
// Worker here.
import { hc } from "hono/client";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { AppType } from "../src/app";
import { ADMIN_KEY, PASSWORD, registration } from "./helpers/factories";
import { fetchWorker } from "./helpers/worker";

const client = hc<AppType>("http://localhost", { fetch: fetchWorker });

describe("hc<AppType> from hono/client", () => {
  it("registers, logs in, reads and updates a user, and lists users as an admin", async () => {
    const body = registration({ secret_admin_key: ADMIN_KEY });
    const registered = await client.auth.register.$post({ json: body });
    expect(registered.status).toBe(201);
    if (registered.status !== 201) return;
    const { user } = await registered.json();
    expectTypeOf(user.role).toEqualTypeOf<"ADMIN" | "USER">();
    expect(user).toMatchObject({ username: body.username, role: "ADMIN" });

    const loggedIn = await client.auth.login.$post({
      json: { email: body.email, password: PASSWORD },
    });
    if (loggedIn.status !== 200) throw new Error(`login: ${loggedIn.status}`);
    const tokens = await loggedIn.json();
    // A user with two-factor login gets an mfa_token instead; this one has none.
    if ("mfa_required" in tokens) throw new Error("login asked for a second factor");
    expectTypeOf(tokens.access_token).toBeString();
    const auth = { headers: { Authorization: `Bearer ${tokens.access_token}` } };

    const me = await client.users.me.$get({}, auth);
    if (me.status !== 200) throw new Error(`me: ${me.status}`);
    expect((await me.json()).id).toBe(user.id);
    const etag = me.headers.get("etag") ?? "";

    const updated = await client.users[":id"].$patch(
      { param: { id: user.id }, json: { first_name: "Alicia" }, header: { "if-match": etag } },
      auth,
    );
    if (updated.status !== 200) throw new Error(`patch: ${updated.status}`);
    expect((await updated.json()).user.first_name).toBe("Alicia");

    const list = await client.users.$get({ query: { q: body.username, per_page: "5" } }, auth);
    if (list.status !== 200) throw new Error(`list: ${list.status}`);
    expect((await list.json()).map((u) => u.id)).toEqual([user.id]);
    expect(list.headers.get("x-total-count")).toBe("1");

    // The next page, by the cursor of its Link, through the typed query.
    expect((await client.auth.register.$post({ json: registration() })).status).toBe(201);
    const first = await client.users.$get({ query: { per_page: "1", count: "exact" } }, auth);
    if (first.status !== 200) throw new Error(`first: ${first.status}`);
    const cursor = /[?&]cursor=([^&>]+)[^>]*>; rel="next"/.exec(first.headers.get("link") ?? "");
    if (!cursor?.[1]) throw new Error("no next link");
    const next = await client.users.$get(
      { query: { per_page: "1", count: "exact", cursor: decodeURIComponent(cursor[1]) } },
      auth,
    );
    if (next.status !== 200) throw new Error(`next: ${next.status}`);
    expect(next.headers.get("x-total-count")).toBe(first.headers.get("x-total-count"));
    expect((await next.json())[0]?.id).not.toBe((await first.json())[0]?.id);
  });

  it("types the problems too: a wrong password is a 401 with its code", async () => {
    const res = await client.auth.login.$post({
      json: { email: "nobody@example.test", password: "wrong-password" },
    });
    expect(res.status).toBe(401);
    if (res.status === 401) expect((await res.json()).code).toBe("invalid_credentials");
  });
});
