import { describe, expect, it } from "vitest";
import { db, signUp } from "./helpers/factories";
import { decodeJwt } from "./helpers/jwt";
import { expectUserShape, getUser, updateUser } from "./helpers/users";
import { call, expectProblem } from "./helpers/worker";

describe("reading a user", () => {
  it.each([
    ["GET /users/{id} gives a user themself", "self", "id"],
    ["GET /users/{id} gives an admin any user", "admin", "id"],
    ["GET /users/me gives the caller", "self", "me"],
  ])("%s with an ETag and no-store", async (_title, reader, target) => {
    const user = await signUp();
    const token = reader === "admin" ? (await signUp({ admin: true })).token : user.token;
    const res = await getUser(token, target === "me" ? "me" : user.id);
    expect(res.status, res.text).toBe(200);
    expectUserShape(res.json);
    expect(res.json).toEqual(user.user);
    expect(res.headers.get("etag")).toMatch(/^"\d+"$/);
    expect(res.headers.get("cache-control")).toContain("no-store");
  });
});

describe("GET /users/{id}", () => {
  it("answers an admin with 404 for an id nobody has", async () => {
    const admin = await signUp({ admin: true });
    expectProblem(await getUser(admin.token, crypto.randomUUID()), 404, "not_found");
  });
});

describe("the previous release's read (user_as)", () => {
  // Migrations run before the new Worker is deployed: until it is, the previous release's Worker
  // still sends its read, which must go on answering as it did ({"user": ...}, NULL for a caller
  // who is not live), with the liveness rules of the new functions.
  it("still answers a live caller, and refuses a logged-out one", async () => {
    const user = await signUp();
    const { sub, ver, role, sid } = decodeJwt(user.token).payload;
    const read = () =>
      db<{ read: { user: Record<string, unknown> | null } | null }>(
        "select user_as($1, $2, $3::user_role, $4, $5) as read",
        [sub, ver, role, sid, user.id],
      );
    const [live] = await read();
    expect(live?.read?.user).toMatchObject({ id: user.id, username: user.user.username });
    const res = await call("/auth/logout", { method: "POST", token: user.token });
    expect(res.status, res.text).toBe(204);
    expect((await read())[0]?.read).toBeNull();
  });
});

describe("GET and PATCH /users/{id}", () => {
  it("accept the caller's own id in upper case", async () => {
    const user = await signUp();
    const upper = user.id.toUpperCase();
    const res = await getUser(user.token, upper);
    expect(res.status, res.text).toBe(200);
    expect(res.json.id).toBe(user.id);
    const patched = await updateUser(user.token, upper, { last_name: "Upper" });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.user.last_name).toBe("Upper");
  });
});

describe("GET, PATCH and DELETE /users/{id}", () => {
  it.each([
    "not-a-uuid",
    "12345",
    "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f7g",
    "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70-00",
    "%27%3B%20drop%20table%20users%3B--",
    "%00",
    "x".repeat(300),
  ])("answer the malformed id %s with 404 or 422, never 500", async (id) => {
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
  });
});
