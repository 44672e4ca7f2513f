import { describe, expect, it } from "vitest";
import {
  login,
  registerUser,
  type Session,
  signUp,
  USER_KEYS,
  uniqueName,
} from "./helpers/factories";
import { call, expectProblem } from "./helpers/worker";

type Fields = { username: string; email?: string; first_name?: string; last_name?: string };

/** Registers a user with chosen names (the factory's are fixed), returning its id. */
async function registerWith(fields: Fields): Promise<string> {
  const res = await call("/auth/register", {
    body: {
      email: `${fields.username}@example.test`,
      first_name: "Test",
      last_name: "User",
      password: "Violet-Lantern-Orbit-42",
      ...fields,
    },
  });
  expect(res.status, res.text).toBe(201);
  return res.json.user.id;
}

async function listUsers(admin: Session, query: string) {
  return call(`/users?${query}`, { token: admin.token });
}

function ids(res: Awaited<ReturnType<typeof call>>): string[] {
  return (res.json as { id: string }[]).map((user) => user.id);
}

/** The RFC 8288 Link header as rel -> target URL. */
function linksOf(res: Awaited<ReturnType<typeof call>>): Record<string, URL> {
  const header = res.headers.get("link") ?? "";
  const links: Record<string, URL> = {};
  for (const [, target, rel] of header.matchAll(/<([^>]*)>\s*;\s*rel="([^"]+)"/g)) {
    links[rel as string] = new URL(target as string, "http://localhost");
  }
  return links;
}

function expectUserShape(user: Record<string, unknown>) {
  expect(Object.keys(user).sort()).toEqual(USER_KEYS);
}

describe("access control on /users", () => {
  const endpoints = [
    { method: "GET", path: "/users" },
    { method: "GET", path: "/users/me" },
    { method: "PATCH", path: "/users/me", body: { first_name: "Mallory" } },
    { method: "GET", path: "/users/{id}" },
    { method: "PUT", path: "/users/{id}", body: { first_name: "Mallory" } },
    { method: "PATCH", path: "/users/{id}", body: { first_name: "Mallory" } },
    { method: "DELETE", path: "/users/{id}" },
  ];

  it.each(endpoints)(
    "$method $path refuses an anonymous caller with 401 and WWW-Authenticate",
    async ({ method, path, body }) => {
      const victim = await registerUser();
      const res = await call(path.replace("{id}", victim.id), { method, body });
      expectProblem(res, 401, "unauthorized");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
      const admin = await signUp({ admin: true });
      const after = await call(`/users/${victim.id}`, { token: admin.token });
      expect(after.json.first_name).toBe("Test");
    },
  );

  it.each(endpoints)(
    "$method $path refuses a forged bearer token with 401 invalid_token",
    async ({ method, path, body }) => {
      const res = await call(path.replace("{id}", crypto.randomUUID()), {
        method,
        body,
        token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
      });
      expectProblem(res, 401, "invalid_token");
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    },
  );

  it("GET /users refuses a non-admin with 403", async () => {
    const user = await signUp();
    expectProblem(await call("/users", { token: user.token }), 403, "forbidden");
  });

  const byId = [
    { method: "GET" },
    { method: "PUT", body: { first_name: "Mallory" } },
    { method: "PATCH", body: { first_name: "Mallory" } },
    { method: "DELETE" },
  ];

  it.each(byId)(
    "$method /users/{id} refuses a non-admin acting on another user with 403",
    async ({ method, body }) => {
      const user = await signUp();
      const other = await registerUser();
      const res = await call(`/users/${other.id}`, { method, body, token: user.token });
      expectProblem(res, 403, "forbidden");
      const admin = await signUp({ admin: true });
      const after = await call(`/users/${other.id}`, { token: admin.token });
      expect(after.status).toBe(200);
      expect(after.json.first_name).toBe("Test");
    },
  );

  it.each(byId)(
    "$method /users/{id} answers a non-admin with 403, not 404, for an id nobody has",
    async ({ method, body }) => {
      const user = await signUp();
      const res = await call(`/users/${crypto.randomUUID()}`, { method, body, token: user.token });
      expectProblem(res, 403, "forbidden");
    },
  );

  it("GET /users/{id} and GET /users/me let a user read themself", async () => {
    const user = await signUp();
    for (const path of [`/users/${user.id}`, "/users/me"]) {
      const res = await call(path, { token: user.token });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual(user.user);
    }
  });

  it.each(["PUT", "PATCH"])("%s /users/{id} lets a user update themself", async (method) => {
    const user = await signUp();
    const res = await call(`/users/${user.id}`, {
      method,
      body: { first_name: "Selfie" },
      token: user.token,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.first_name).toBe("Selfie");
  });

  it("PATCH /users/me lets a user update themself", async () => {
    const user = await signUp();
    const res = await call("/users/me", {
      method: "PATCH",
      body: { last_name: "Myself" },
      token: user.token,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ message: "User updated successfully", user: { id: user.id } });
    expect(res.json.user.last_name).toBe("Myself");
  });

  it("DELETE /users/{id} refuses a user deleting themself with 403", async () => {
    const user = await signUp();
    const res = await call(`/users/${user.id}`, { method: "DELETE", token: user.token });
    expectProblem(res, 403, "forbidden");
    expect((await call("/users/me", { token: user.token })).status).toBe(200);
  });

  it("lets an admin read, update and delete any user", async () => {
    const admin = await signUp({ admin: true });
    const other = await registerUser();
    const read = await call(`/users/${other.id}`, { token: admin.token });
    expect(read.status, read.text).toBe(200);
    expect(read.json).toEqual(other.user);
    for (const method of ["PUT", "PATCH"]) {
      const res = await call(`/users/${other.id}`, {
        method,
        body: { last_name: method },
        token: admin.token,
      });
      expect(res.status, res.text).toBe(200);
      expect(res.json.user.last_name).toBe(method);
    }
    const list = await listUsers(admin, `q=${other.username}`);
    expect(list.status).toBe(200);
    expect(ids(list)).toEqual([other.id]);
    const gone = await call(`/users/${other.id}`, { method: "DELETE", token: admin.token });
    expect(gone.status, gone.text).toBe(200);
  });
});

describe("GET /users", () => {
  it("GET /users returns User objects with exactly the documented keys and no secrets", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("keys");
    await registerWith({ username: `${prefix}a` });
    await registerWith({ username: `${prefix}b` });
    const res = await listUsers(admin, `q=${prefix}`);
    expect(res.status, res.text).toBe(200);
    expect(Array.isArray(res.json)).toBe(true);
    expect(res.json).toHaveLength(2);
    for (const user of res.json) expectUserShape(user);
    expect(res.text).not.toMatch(/password|hash|token_version|revision/i);
    expect(res.headers.get("cache-control")).toContain("no-store");
    expect(res.headers.get("x-total-count")).toBe("2");
  });

  it("GET /users pages with X-Total-Count and first/prev/next/last links", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("page");
    const created: string[] = [];
    for (const letter of ["a", "b", "c", "d", "e"]) {
      created.push(await registerWith({ username: `${prefix}${letter}` }));
    }

    const page = (n: number) => listUsers(admin, `q=${prefix}&per_page=2&page=${n}`);
    const target = (url: URL | undefined) => ({
      path: url?.pathname,
      page: url?.searchParams.get("page"),
      per_page: url?.searchParams.get("per_page"),
      q: url?.searchParams.get("q"),
    });
    const at = (n: number) => ({ path: "/users", page: String(n), per_page: "2", q: prefix });

    const first = await page(1);
    expect(first.status, first.text).toBe(200);
    expect(first.headers.get("x-total-count")).toBe("5");
    expect(ids(first)).toEqual(created.slice(0, 2));
    const firstLinks = linksOf(first);
    expect(Object.keys(firstLinks).sort()).toEqual(["first", "last", "next"]);
    expect(target(firstLinks.first)).toEqual(at(1));
    expect(target(firstLinks.next)).toEqual(at(2));
    expect(target(firstLinks.last)).toEqual(at(3));

    const middle = await page(2);
    expect(middle.headers.get("x-total-count")).toBe("5");
    expect(ids(middle)).toEqual(created.slice(2, 4));
    const middleLinks = linksOf(middle);
    expect(Object.keys(middleLinks).sort()).toEqual(["first", "last", "next", "prev"]);
    expect(target(middleLinks.first)).toEqual(at(1));
    expect(target(middleLinks.prev)).toEqual(at(1));
    expect(target(middleLinks.next)).toEqual(at(3));
    expect(target(middleLinks.last)).toEqual(at(3));

    const last = await page(3);
    expect(last.headers.get("x-total-count")).toBe("5");
    expect(ids(last)).toEqual(created.slice(4));
    const lastLinks = linksOf(last);
    expect(Object.keys(lastLinks).sort()).toEqual(["first", "last", "prev"]);
    expect(target(lastLinks.prev)).toEqual(at(2));
    expect(target(lastLinks.last)).toEqual(at(3));

    // A client follows the links as given.
    const next = firstLinks.next as URL;
    const followed = await call(`${next.pathname}${next.search}`, { token: admin.token });
    expect(ids(followed)).toEqual(created.slice(2, 4));
  });

  it("GET /users keeps a q with spaces, +, & and % intact in its links", async () => {
    const admin = await signUp({ admin: true });
    const tag = uniqueName("amp").replace("_", "");
    const q = `R&D +100% ${tag}`;
    for (const letter of ["a", "b", "c"]) {
      await registerWith({ username: uniqueName(letter), last_name: `${q} ${letter}` });
    }
    const first = await listUsers(admin, `q=${encodeURIComponent(q)}&per_page=2`);
    expect(first.status, first.text).toBe(200);
    expect(first.headers.get("x-total-count")).toBe("3");
    const next = linksOf(first).next as URL;
    expect(next.searchParams.get("q")).toBe(q);
    const second = await call(`${next.pathname}${next.search}`, { token: admin.token });
    expect(second.status, second.text).toBe(200);
    expect(second.headers.get("x-total-count")).toBe("3");
    expect(second.json).toHaveLength(1);
    expect([...ids(first), ...ids(second)]).toHaveLength(
      new Set([...ids(first), ...ids(second)]).size,
    );
  });

  it("GET /users past the last page is an empty page with the right total and links", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("past");
    for (const letter of ["a", "b", "c"]) await registerWith({ username: `${prefix}${letter}` });
    const res = await listUsers(admin, `q=${prefix}&per_page=2&page=7`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual([]);
    expect(res.headers.get("x-total-count")).toBe("3");
    const links = linksOf(res);
    expect(links.next).toBeUndefined();
    expect(links.last?.searchParams.get("page")).toBe("2");
    expect(links.prev?.searchParams.get("page")).toBe("2");
  });

  it("GET /users pages 20 users by default and accepts per_page=100", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("dflt");
    const letters = "abcdefghijklmnopqrstu".split("");
    await Promise.all(letters.map((l) => registerWith({ username: `${prefix}${l}` })));
    const byDefault = await listUsers(admin, `q=${prefix}`);
    expect(byDefault.json).toHaveLength(20);
    expect(byDefault.headers.get("x-total-count")).toBe("21");
    expect(linksOf(byDefault).next?.searchParams.get("per_page")).toBe("20");
    const wide = await listUsers(admin, `q=${prefix}&per_page=100`);
    expect(wide.status, wide.text).toBe(200);
    expect(wide.json).toHaveLength(21);
  });

  it.each([
    ["per_page", "101"],
    ["per_page", "0"],
    ["per_page", "abc"],
    ["per_page", "-5"],
    ["per_page", "2.5"],
    ["page", "0"],
    ["page", "abc"],
    ["page", "-1"],
  ])("GET /users refuses %s=%s with 422", async (name, value) => {
    const admin = await signUp({ admin: true });
    const body = expectProblem(
      await listUsers(admin, `${name}=${value}`),
      422,
      "validation_failed",
    );
    expect(body.errors?.map((e) => e.path)).toContain(`query.${name}`);
  });

  it.each([
    ["sort", "password"],
    ["sort", "+username"],
    ["role", "SUPERUSER"],
    ["active", "yes"],
    ["active", "1"],
  ])("GET /users refuses an unknown %s value %s with 422 and errors[]", async (name, value) => {
    const admin = await signUp({ admin: true });
    const body = expectProblem(
      await listUsers(admin, `${name}=${encodeURIComponent(value)}`),
      422,
      "validation_failed",
    );
    expect(body.errors?.map((e) => e.path)).toContain(`query.${name}`);
  });

  it("GET /users q matches username, email, first and last name case-insensitively", async () => {
    const admin = await signUp({ admin: true });
    const needle = uniqueName("needle").replace("_", "");
    const byUsername = await registerWith({ username: `${needle}u` });
    const byEmail = await registerWith({
      username: uniqueName("e"),
      email: `Mail.${needle.toUpperCase()}@example.test`,
    });
    const byFirst = await registerWith({ username: uniqueName("f"), first_name: `X${needle}` });
    const byLast = await registerWith({
      username: uniqueName("l"),
      last_name: `Y${needle.toUpperCase()}Z`,
    });
    await registerWith({ username: uniqueName("none") });
    const mixedCase = needle.slice(0, 4).toUpperCase() + needle.slice(4);
    const res = await listUsers(admin, `q=${mixedCase}&per_page=100`);
    expect(res.status, res.text).toBe(200);
    expect(ids(res).sort()).toEqual([byUsername, byEmail, byFirst, byLast].sort());
    expect(res.headers.get("x-total-count")).toBe("4");
  });

  it("GET /users q treats % and _ literally", async () => {
    const admin = await signUp({ admin: true });
    const tag = uniqueName("lit").replace("_", "");
    const underscore = await registerWith({ username: `${tag}x_y` });
    await registerWith({ username: `${tag}xzy` });
    const percent = await registerWith({ username: uniqueName("p"), first_name: `100%${tag}` });
    await registerWith({ username: uniqueName("p"), first_name: `100 percent ${tag}` });
    const backslash = await registerWith({ username: uniqueName("b"), last_name: `a\\b${tag}` });
    await registerWith({ username: uniqueName("b"), last_name: `ab${tag}` });

    const q = (value: string) => listUsers(admin, `q=${encodeURIComponent(value)}`);
    expect(ids(await q(`${tag}x_y`))).toEqual([underscore]);
    expect(ids(await q(`100%${tag}`))).toEqual([percent]);
    expect(ids(await q(`a\\b${tag}`))).toEqual([backslash]);
    expect(await q(`${tag}%`)).toMatchObject({ status: 200, json: [] });
    expect(await q(`${tag.slice(0, -1)}_`)).toMatchObject({ status: 200, json: [] });
  });

  it("GET /users filters by role and by active", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("filt");
    const adminId = (await registerUser({ admin: true, username: `${prefix}adm` })).id;
    const activeUser = await registerWith({ username: `${prefix}act` });
    const inactiveUser = await registerWith({ username: `${prefix}ina` });
    const off = await call(`/users/${inactiveUser}`, {
      method: "PATCH",
      body: { active: false },
      token: admin.token,
    });
    expect(off.status, off.text).toBe(200);

    const sorted = async (query: string) => {
      const res = await listUsers(admin, `q=${prefix}&${query}`);
      expect(res.status, res.text).toBe(200);
      return ids(res).sort();
    };
    expect(await sorted("role=ADMIN")).toEqual([adminId]);
    expect(await sorted("role=USER")).toEqual([activeUser, inactiveUser].sort());
    expect(await sorted("active=false")).toEqual([inactiveUser]);
    expect(await sorted("active=true")).toEqual([adminId, activeUser].sort());
    expect(await sorted("role=USER&active=true")).toEqual([activeUser]);
  });

  it("GET /users orders by every sort value in both directions", async () => {
    const admin = await signUp({ admin: true });
    const prefix = uniqueName("sort").replace("_", "");
    // Creation, username and email orders are three different permutations.
    const one = await registerWith({ username: `${prefix}b`, email: `${prefix}c@example.test` });
    const two = await registerWith({ username: `${prefix}c`, email: `${prefix}a@example.test` });
    const three = await registerWith({ username: `${prefix}a`, email: `${prefix}b@example.test` });
    const expected: Record<string, string[]> = {
      created_at: [one, two, three],
      username: [three, one, two],
      email: [two, three, one],
    };
    for (const [key, order] of Object.entries(expected)) {
      const asc = await listUsers(admin, `q=${prefix}&sort=${key}`);
      expect(asc.status, asc.text).toBe(200);
      expect(ids(asc), `sort=${key}`).toEqual(order);
      const desc = await listUsers(admin, `q=${prefix}&sort=-${key}`);
      expect(ids(desc), `sort=-${key}`).toEqual([...order].reverse());
    }
    const byDefault = await listUsers(admin, `q=${prefix}`);
    expect(ids(byDefault)).toEqual(expected.created_at);
  });
});

describe("GET /users/{id}", () => {
  it("GET /users/{id} gives a user themself with an ETag and no-store", async () => {
    const user = await signUp();
    const res = await call(`/users/${user.id}`, { token: user.token });
    expect(res.status, res.text).toBe(200);
    expectUserShape(res.json);
    expect(res.headers.get("etag")).toMatch(/^"\d+"$/);
    expect(res.headers.get("cache-control")).toContain("no-store");
  });

  it("PATCH /users/{id} refuses an empty body with 422 and changes nothing", async () => {
    const user = await signUp();
    const res = await call(`/users/${user.id}`, { method: "PATCH", body: {}, token: user.token });
    expect(expectProblem(res, 422, "validation_failed").errors?.[0]?.message).toContain(
      "at least one field",
    );
    const after = await call("/users/me", { token: user.token });
    expect(after.json.updated_at).toBe(user.user.updated_at);
    expect(after.headers.get("etag")).toBe('"1"');
  });

  it("GET and PATCH /users/{id} accept the caller's own id in upper case", async () => {
    const user = await signUp();
    const upper = user.id.toUpperCase();
    const res = await call(`/users/${upper}`, { token: user.token });
    expect(res.status, res.text).toBe(200);
    expect(res.json.id).toBe(user.id);
    const patched = await call(`/users/${upper}`, {
      method: "PATCH",
      body: { last_name: "Upper" },
      token: user.token,
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.user.last_name).toBe("Upper");
  });

  it("GET /users/{id} gives an admin any user with an ETag", async () => {
    const admin = await signUp({ admin: true });
    const other = await registerUser();
    const res = await call(`/users/${other.id}`, { token: admin.token });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual(other.user);
    expect(res.headers.get("etag")).toMatch(/^"\d+"$/);
    expect(res.headers.get("cache-control")).toContain("no-store");
  });

  it("GET /users/{id} answers an admin with 404 for an id nobody has", async () => {
    const admin = await signUp({ admin: true });
    expectProblem(
      await call(`/users/${crypto.randomUUID()}`, { token: admin.token }),
      404,
      "not_found",
    );
  });

  it.each([
    "not-a-uuid",
    "12345",
    "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f7g",
    "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70-00",
    "%27%3B%20drop%20table%20users%3B--",
    "%00",
    "x".repeat(300),
  ])(
    "GET, PATCH and DELETE /users/%s answer a malformed id with 404 or 422, never 500",
    async (id) => {
      const admin = await signUp({ admin: true });
      for (const method of ["GET", "PATCH", "DELETE"]) {
        const res = await call(`/users/${id}`, {
          method,
          token: admin.token,
          body: method === "PATCH" ? { first_name: "X" } : undefined,
        });
        expect([404, 422], `${method}: ${res.text}`).toContain(res.status);
        expectProblem(res, res.status, res.status === 404 ? "not_found" : "validation_failed");
      }
    },
  );
});

describe("PUT and PATCH /users/{id}", () => {
  it.each(["PUT", "PATCH"])(
    "%s /users/{id} updates a user's own username, email and names",
    async (method) => {
      const user = await signUp();
      const before = (await call("/users/me", { token: user.token })).json;
      const username = uniqueName("renamed");
      const email = `${username}@Example.test`;
      const res = await call(`/users/${user.id}`, {
        method,
        body: { username, email, first_name: "Ada", last_name: "Lovelace" },
        token: user.token,
      });
      expect(res.status, res.text).toBe(200);
      expect(res.json.message).toBe("User updated successfully");
      expectUserShape(res.json.user);
      expect(res.json.user).toMatchObject({
        id: user.id,
        username,
        email,
        first_name: "Ada",
        last_name: "Lovelace",
        role: "USER",
        active: true,
        created_at: before.created_at,
      });
      expect(Date.parse(res.json.user.updated_at)).toBeGreaterThan(Date.parse(before.updated_at));
      expect(res.headers.get("cache-control")).toContain("no-store");
      expect((await call("/users/me", { token: user.token })).json).toEqual(res.json.user);
      await login(email, user.password);
    },
  );

  it("PATCH /users/{id} changes only the fields sent", async () => {
    const user = await signUp();
    const res = await call(`/users/${user.id}`, {
      method: "PATCH",
      body: { last_name: "Only" },
      token: user.token,
    });
    expect(res.status, res.text).toBe(200);
    const { updated_at: _a, ...rest } = res.json.user;
    const { updated_at: _b, ...original } = user.user;
    expect(rest).toEqual({ ...original, last_name: "Only" });
  });

  it.each(["PUT", "PATCH"])("%s /users/{id} lets an admin update another user", async (method) => {
    const admin = await signUp({ admin: true });
    const other = await registerUser();
    const username = uniqueName("byadmin");
    const res = await call(`/users/${other.id}`, {
      method,
      body: { username, first_name: "Grace", role: "ADMIN", active: true },
      token: admin.token,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user).toMatchObject({ username, first_name: "Grace", role: "ADMIN" });
    expect(res.json.user.created_at).toBe(other.user.created_at);
  });

  it("PATCH /users/{id} answers an admin with 404 for an id nobody has", async () => {
    const admin = await signUp({ admin: true });
    const res = await call(`/users/${crypto.randomUUID()}`, {
      method: "PATCH",
      body: { first_name: "Nobody" },
      token: admin.token,
    });
    expectProblem(res, 404, "not_found");
  });

  it.each([
    { role: "ADMIN" },
    { role: "USER" },
    { active: true },
    { active: false },
    { first_name: "Sneaky", role: "USER" },
  ])("PATCH /users/{id} refuses role or active from a non-admin with 403: %o", async (body) => {
    const user = await signUp();
    for (const path of [`/users/${user.id}`, "/users/me"]) {
      const res = await call(path, { method: "PATCH", body, token: user.token });
      expectProblem(res, 403, "forbidden");
    }
    const after = await call("/users/me", { token: user.token });
    expect(after.json).toEqual(user.user);
  });

  it.each([
    ["password", { password: "Another-Good-Passphrase-9" }],
    ["id", { id: "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70" }],
    ["created_at", { created_at: "2020-01-01T00:00:00.000Z" }],
    ["updated_at", { updated_at: "2020-01-01T00:00:00.000Z" }],
    ["password_hash", { password_hash: "x" }],
    ["token_version", { token_version: 0 }],
    ["nickname", { first_name: "Ok", nickname: "x" }],
  ])("PATCH /users/{id} refuses the field %s with 422", async (field, body) => {
    const user = await signUp();
    const admin = await signUp({ admin: true });
    for (const token of [user.token, admin.token]) {
      const res = await call(`/users/${user.id}`, { method: "PATCH", body, token });
      const problem = expectProblem(res, 422, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toContain(field);
    }
    expect((await call("/users/me", { token: user.token })).json).toEqual(user.user);
  });

  it("PATCH /users/{id} refuses a username taken in another case with 409 conflict", async () => {
    const taken = await registerUser({ username: uniqueName("Taken") });
    const user = await signUp();
    const res = await call(`/users/${user.id}`, {
      method: "PATCH",
      body: { username: taken.username.toUpperCase() },
      token: user.token,
    });
    expect(expectProblem(res, 409, "conflict").errors?.[0]?.path).toBe("username");
  });

  it("PATCH /users/{id} refuses an email taken in another case with 409 conflict", async () => {
    const taken = await registerUser();
    const user = await signUp();
    const res = await call(`/users/${user.id}`, {
      method: "PUT",
      body: { email: taken.email.toUpperCase() },
      token: user.token,
    });
    expect(expectProblem(res, 409, "conflict").errors?.[0]?.path).toBe("email");
  });

  it("PATCH /users/{id} lets a user keep their own username in another case", async () => {
    const user = await signUp();
    const res = await call(`/users/${user.id}`, {
      method: "PATCH",
      body: { username: user.username.toUpperCase() },
      token: user.token,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.username).toBe(user.username.toUpperCase());
  });

  it("PATCH /users/{id} trims names and refuses blank ones", async () => {
    const user = await signUp();
    const res = await call(`/users/${user.id}`, {
      method: "PATCH",
      body: { first_name: "  Ada  ", last_name: "\tByron \n" },
      token: user.token,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user).toMatchObject({ first_name: "Ada", last_name: "Byron" });
    const blank = await call(`/users/${user.id}`, {
      method: "PATCH",
      body: { first_name: "   " },
      token: user.token,
    });
    expect(expectProblem(blank, 422, "validation_failed").errors?.[0]?.path).toBe("first_name");
  });

  it("PATCH /users/{id} deactivating a user ends their access and refresh tokens at once", async () => {
    const admin = await signUp({ admin: true });
    const target = await signUp();
    const res = await call(`/users/${target.id}`, {
      method: "PATCH",
      body: { active: false },
      token: admin.token,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.active).toBe(false);
    expectProblem(await call("/users/me", { token: target.token }), 401, "invalid_token");
    const refresh = await call("/auth/refresh", { body: { refresh_token: target.refreshToken } });
    expect(refresh.status, refresh.text).toBe(401);
    const relogin = await call("/auth/login", {
      body: { email: target.email, password: target.password },
    });
    expectProblem(relogin, 401, "invalid_credentials");
  });

  it("PATCH /users/{id} changing a user's role ends their access and refresh tokens at once", async () => {
    const admin = await signUp({ admin: true });
    const target = await signUp();
    const res = await call(`/users/${target.id}`, {
      method: "PATCH",
      body: { role: "ADMIN" },
      token: admin.token,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.role).toBe("ADMIN");
    expectProblem(await call("/users/me", { token: target.token }), 401, "invalid_token");
    const refresh = await call("/auth/refresh", { body: { refresh_token: target.refreshToken } });
    expect(refresh.status, refresh.text).toBe(401);
    const fresh = await login(target.email, target.password);
    const list = await call("/users?per_page=1", { token: fresh.token });
    expect(list.status, list.text).toBe(200);
  });

  it("PATCH /users/{id} reactivating or re-demoting a user does not revive their old tokens", async () => {
    const admin = await signUp({ admin: true });
    const target = await signUp();
    for (const body of [{ active: false }, { active: true }, { role: "ADMIN" }, { role: "USER" }]) {
      const res = await call(`/users/${target.id}`, { method: "PATCH", body, token: admin.token });
      expect(res.status, res.text).toBe(200);
    }
    expectProblem(await call("/users/me", { token: target.token }), 401, "invalid_token");
    const refresh = await call("/auth/refresh", { body: { refresh_token: target.refreshToken } });
    expect(refresh.status, refresh.text).toBe(401);
    const fresh = await login(target.email, target.password);
    expect((await call("/users/me", { token: fresh.token })).json).toMatchObject({
      role: "USER",
      active: true,
    });
  });

  it("PATCH /users/{id} lets only one of two users claim a username at the same moment", async () => {
    const first = await signUp();
    const second = await signUp();
    const wanted = uniqueName("wanted");
    const results = await Promise.all([
      call(`/users/${first.id}`, {
        method: "PATCH",
        body: { username: wanted },
        token: first.token,
      }),
      call(`/users/${second.id}`, {
        method: "PATCH",
        body: { username: wanted.toUpperCase() },
        token: second.token,
      }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses, results.map((r) => r.text).join(" | ")).toEqual([200, 409]);
    const loser = results.find((r) => r.status === 409) as (typeof results)[number];
    expect(expectProblem(loser, 409, "conflict").errors?.[0]?.path).toBe("username");
  });

  it("PATCH /users/{id} with unchanged role and active keeps the user's sessions", async () => {
    const admin = await signUp({ admin: true });
    const target = await signUp();
    const res = await call(`/users/${target.id}`, {
      method: "PATCH",
      body: { role: "USER", active: true, first_name: "Same" },
      token: admin.token,
    });
    expect(res.status, res.text).toBe(200);
    expect((await call("/users/me", { token: target.token })).status).toBe(200);
  });
});

describe("DELETE /users/{id}", () => {
  it("DELETE /users/{id} lets an admin delete a user, whose tokens then fail", async () => {
    const admin = await signUp({ admin: true });
    const target = await signUp();
    const res = await call(`/users/${target.id}`, { method: "DELETE", token: admin.token });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ message: "User deleted successfully" });
    expectProblem(await call(`/users/${target.id}`, { token: admin.token }), 404, "not_found");
    expectProblem(
      await call(`/users/${target.id}`, { method: "DELETE", token: admin.token }),
      404,
      "not_found",
    );
    expectProblem(await call("/users/me", { token: target.token }), 401, "invalid_token");
    const refresh = await call("/auth/refresh", { body: { refresh_token: target.refreshToken } });
    expect(refresh.status, refresh.text).toBe(401);
    const relogin = await call("/auth/login", {
      body: { email: target.email, password: target.password },
    });
    expectProblem(relogin, 401, "invalid_credentials");
  });

  it("DELETE /users/{id} answers an admin with 404 for an id nobody has", async () => {
    const admin = await signUp({ admin: true });
    const res = await call(`/users/${crypto.randomUUID()}`, {
      method: "DELETE",
      token: admin.token,
    });
    expectProblem(res, 404, "not_found");
  });

  it("DELETE /users/{id} frees the username and email for a new registration", async () => {
    const admin = await signUp({ admin: true });
    const target = await registerUser();
    await call(`/users/${target.id}`, { method: "DELETE", token: admin.token });
    const again = await registerUser({ username: target.username, email: target.email });
    expect(again.id).not.toBe(target.id);
  });
});

describe("hostile input on /users", () => {
  it.each([
    ["a NUL byte", "%00", 422],
    ["a NUL byte inside a word", "ab%00cd", 422],
    ["5000 characters", "x".repeat(5000), 422],
    ["a quote and a statement", encodeURIComponent("'; drop table users; --"), 200],
    ["a closing paren", encodeURIComponent("') or 1=1 --"), 200],
    ["a backslash at the end", encodeURIComponent("abc\\"), 200],
    ["regex and LIKE characters", encodeURIComponent("[a-z]*.^$%_\\"), 200],
    ["unicode", encodeURIComponent("名前😀"), 200],
  ])("GET /users answers q with %s without a 500", async (_label, q, status) => {
    const admin = await signUp({ admin: true });
    const res = await listUsers(admin, `q=${q}`);
    if (status === 422) {
      expect(expectProblem(res, 422, "validation_failed").errors?.[0]?.path).toBe("query.q");
    } else {
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual([]);
      expect(res.headers.get("x-total-count")).toBe("0");
    }
    const still = await call(`/users/${admin.id}`, { token: admin.token });
    expect(still.status).toBe(200);
  });

  it.each([
    ["username with a NUL byte", { username: "ab\u0000cd" }, "username"],
    ["first_name with a NUL byte", { first_name: "Ada\u0000" }, "first_name"],
    ["email with a NUL byte", { email: "a\u0000b@example.test" }, "email"],
    ["username with SQL", { username: "x'; drop table users;--" }, "username"],
    ["username as a number", { username: 12345 }, "username"],
    ["email as an array", { email: ["a@example.test"] }, "email"],
    ["first_name as null", { first_name: null }, "first_name"],
    ["last_name as an object", { last_name: { $ne: "" } }, "last_name"],
    ["first_name of 101 characters", { first_name: "x".repeat(101) }, "first_name"],
    ["a 33-character username", { username: "u".repeat(33) }, "username"],
    ["a 2-character username", { username: "ab" }, "username"],
    ["a 255-character email", { email: `abc@${`${"d".repeat(61)}.`.repeat(4)}com` }, "email"],
    ["an email without a domain", { email: "someone@" }, "email"],
    ["active as a string", { active: "false" }, "active"],
    ["role in lower case", { role: "admin" }, "role"],
    ["role as a number", { role: 1 }, "role"],
  ])("PATCH /users/{id} refuses %s with 422", async (_label, body, path) => {
    const admin = await signUp({ admin: true });
    const target = await registerUser();
    const res = await call(`/users/${target.id}`, { method: "PATCH", body, token: admin.token });
    expect(expectProblem(res, 422, "validation_failed").errors?.map((e) => e.path)).toContain(path);
  });

  it.each([
    ["an array", "[]"],
    ["a string", '"hello"'],
    ["null", "null"],
    ["a number", "42"],
  ])("PATCH /users/{id} refuses a JSON body that is %s with 422", async (_label, rawBody) => {
    const user = await signUp();
    const res = await call(`/users/${user.id}`, {
      method: "PATCH",
      rawBody,
      headers: { "Content-Type": "application/json" },
      token: user.token,
    });
    expectProblem(res, 422, "validation_failed");
  });

  it("PATCH /users/{id} answers malformed JSON with 400 and a non-JSON body with 415", async () => {
    const user = await signUp();
    const malformed = await call(`/users/${user.id}`, {
      method: "PATCH",
      rawBody: '{"first_name": ',
      headers: { "Content-Type": "application/json" },
      token: user.token,
    });
    expectProblem(malformed, 400, "malformed_json");
    const form = await call(`/users/${user.id}`, {
      method: "PATCH",
      rawBody: "first_name=Ada",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      token: user.token,
    });
    expectProblem(form, 415, "unsupported_media_type");
  });
});
