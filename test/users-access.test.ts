import { describe, expect, it } from "vitest";
import { registerUser, signUp } from "./helpers/factories";
import { expectBearerChallenge, me } from "./helpers/sessions";
import { deleteUser, getUser, ids, listUsers, updateUser } from "./helpers/users";
import { call, expectProblem } from "./helpers/worker";

const endpoints = [
  { method: "GET", path: "/users" },
  { method: "GET", path: "/users/me" },
  { method: "PATCH", path: "/users/me", body: { first_name: "Mallory" } },
  { method: "GET", path: "/users/{id}" },
  { method: "PUT", path: "/users/{id}", body: { first_name: "Mallory" } },
  { method: "PATCH", path: "/users/{id}", body: { first_name: "Mallory" } },
  { method: "DELETE", path: "/users/{id}" },
];

const byId = [
  { method: "GET" },
  { method: "PUT", body: { first_name: "Mallory" } },
  { method: "PATCH", body: { first_name: "Mallory" } },
  { method: "DELETE" },
];

/** Asserts, as a fresh admin, that the user still exists with the factory's first name. */
async function expectUntouched(id: string) {
  const admin = await signUp({ admin: true });
  const after = await getUser(admin.token, id);
  expect(after.status).toBe(200);
  expect(after.json.first_name).toBe("Test");
}

describe("access control on /users", () => {
  it.each(endpoints)(
    "$method $path refuses an anonymous caller with 401 and WWW-Authenticate",
    async ({ method, path, body }) => {
      const victim = await registerUser();
      const res = await call(path.replace("{id}", victim.id), { method, body });
      expectProblem(res, 401, "unauthorized");
      expectBearerChallenge(res);
      await expectUntouched(victim.id);
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

  it.each(byId)(
    "$method /users/{id} refuses a non-admin acting on another user with 403",
    async ({ method, body }) => {
      const user = await signUp();
      const other = await registerUser();
      const res = await call(`/users/${other.id}`, { method, body, token: user.token });
      expectProblem(res, 403, "forbidden");
      await expectUntouched(other.id);
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
    for (const target of [user.id, "me"]) {
      const res = await getUser(user.token, target);
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual(user.user);
    }
  });

  it.each(["PUT", "PATCH"])("%s /users/{id} lets a user update themself", async (method) => {
    const user = await signUp();
    const res = await updateUser(user.token, user.id, { first_name: "Selfie" }, { method });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.first_name).toBe("Selfie");
  });

  it("PATCH /users/me lets a user update themself", async () => {
    const user = await signUp();
    const res = await updateUser(user.token, "me", { last_name: "Myself" });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ message: "User updated successfully", user: { id: user.id } });
    expect(res.json.user.last_name).toBe("Myself");
  });

  it("DELETE /users/{id} refuses a user deleting themself with 403", async () => {
    const user = await signUp();
    expectProblem(await deleteUser(user.token, user.id), 403, "forbidden");
    expect((await me(user.token)).status).toBe(200);
  });

  it("lets an admin read, update and delete any user", async () => {
    const admin = await signUp({ admin: true });
    const other = await registerUser();
    const read = await getUser(admin.token, other.id);
    expect(read.status, read.text).toBe(200);
    expect(read.json).toEqual(other.user);
    for (const method of ["PUT", "PATCH"]) {
      const res = await updateUser(admin.token, other.id, { last_name: method }, { method });
      expect(res.status, res.text).toBe(200);
      expect(res.json.user.last_name).toBe(method);
    }
    const list = await listUsers(admin.token, `q=${other.username}`);
    expect(list.status).toBe(200);
    expect(ids(list)).toEqual([other.id]);
    const gone = await deleteUser(admin.token, other.id);
    expect(gone.status, gone.text).toBe(200);
  });
});
