import { describe, expect, it } from "vitest";
import { login, registerUser, signUp, uniqueName } from "./helpers/factories";
import { me } from "./helpers/sessions";
import { etagOf, expectUserShape, updateUser } from "./helpers/users";
import { call, expectProblem } from "./helpers/worker";

const ETAG = /^"\d+"$/;

function patchRaw(token: string, id: string, rawBody: string, contentType: string) {
  return call(`/users/${id}`, {
    method: "PATCH",
    rawBody,
    headers: { "Content-Type": contentType },
    token,
  });
}

describe.each(["PUT", "PATCH"])("%s /users/{id}", (method) => {
  it("updates a user's own username, email and names", async () => {
    const user = await signUp();
    const before = (await me(user.token)).json;
    const username = uniqueName("renamed");
    const email = `${username}@Example.test`;
    const body = { username, email, first_name: "Ada", last_name: "Lovelace" };
    const res = await updateUser(
      user.token,
      user.id,
      { ...body, current_password: user.password },
      { method },
    );
    expect(res.status, res.text).toBe(200);
    expect(res.json.message).toBe("User updated successfully");
    expectUserShape(res.json.user);
    expect(res.json.user).toMatchObject({
      id: user.id,
      ...body,
      role: "USER",
      active: true,
      created_at: before.created_at,
    });
    expect(Date.parse(res.json.user.updated_at)).toBeGreaterThan(Date.parse(before.updated_at));
    expect(res.headers.get("cache-control")).toContain("no-store");
    expect((await me(user.token)).json).toEqual(res.json.user);
    await login(email, user.password);
  });

  it("lets an admin update another user", async () => {
    const admin = await signUp({ admin: true });
    const other = await registerUser();
    const username = uniqueName("byadmin");
    const body = { username, first_name: "Grace", role: "ADMIN", active: true };
    const res = await updateUser(admin.token, other.id, body, { method });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user).toMatchObject({ username, first_name: "Grace", role: "ADMIN" });
    expect(res.json.user.created_at).toBe(other.user.created_at);
  });

  it.each(["username", "email"] as const)(
    "refuses a %s taken in another case with 409 conflict",
    async (field) => {
      const taken = await registerUser({ username: uniqueName("Taken") });
      const user = await signUp();
      const body = {
        [field]: taken[field].toUpperCase(),
        // Changing one's own email needs the current password; a username does not.
        ...(field === "email" ? { current_password: user.password } : {}),
      };
      const res = await updateUser(user.token, user.id, body, { method });
      expect(expectProblem(res, 409, "conflict").errors?.[0]?.path).toBe(field);
    },
  );

  it("with the current ETag succeeds and returns the next ETag", async () => {
    const user = await signUp();
    const etag = await etagOf(user.token, user.id);
    expect(etag).toMatch(ETAG);
    const body = { last_name: "Tagged" };
    const res = await updateUser(user.token, user.id, body, { method, ifMatch: etag });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.last_name).toBe("Tagged");
    const next = res.headers.get("etag");
    expect(next).toMatch(ETAG);
    expect(next).not.toBe(etag);
    expect(await etagOf(user.token, user.id)).toBe(next);
  });

  it("with a stale ETag is 412 and changes nothing", async () => {
    const user = await signUp();
    const admin = await signUp({ admin: true });
    const etag = await etagOf(user.token, user.id);
    const meanwhile = await updateUser(admin.token, user.id, { first_name: "Meanwhile" });
    expect(meanwhile.status).toBe(200);
    const body = { first_name: "Overwrite" };
    const res = await updateUser(user.token, user.id, body, { method, ifMatch: etag });
    expectProblem(res, 412, "precondition_failed");
    expect((await me(user.token)).json.first_name).toBe("Meanwhile");
  });
});

describe("PATCH /users/{id}", () => {
  it("changes only the fields sent", async () => {
    const user = await signUp();
    const res = await updateUser(user.token, user.id, { last_name: "Only" });
    expect(res.status, res.text).toBe(200);
    const { updated_at: _a, ...rest } = res.json.user;
    const { updated_at: _b, ...original } = user.user;
    expect(rest).toEqual({ ...original, last_name: "Only" });
  });

  it("answers an admin with 404 for an id nobody has", async () => {
    const admin = await signUp({ admin: true });
    const res = await updateUser(admin.token, crypto.randomUUID(), { first_name: "Nobody" });
    expectProblem(res, 404, "not_found");
  });

  it.each([
    { role: "ADMIN" },
    { role: "USER" },
    { active: true },
    { active: false },
    { first_name: "Sneaky", role: "USER" },
  ])("refuses role or active from a non-admin with 403: %o", async (body) => {
    const user = await signUp();
    for (const target of [user.id, "me"]) {
      expectProblem(await updateUser(user.token, target, body), 403, "forbidden");
    }
    expect((await me(user.token)).json).toEqual(user.user);
  });

  it("lets a user keep their own username in another case", async () => {
    const user = await signUp();
    const res = await updateUser(user.token, user.id, { username: user.username.toUpperCase() });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.username).toBe(user.username.toUpperCase());
  });

  it("trims names and refuses blank ones", async () => {
    const user = await signUp();
    const body = { first_name: "  Ada  ", last_name: "\tByron \n" };
    const res = await updateUser(user.token, user.id, body);
    expect(res.status, res.text).toBe(200);
    expect(res.json.user).toMatchObject({ first_name: "Ada", last_name: "Byron" });
    const blank = await updateUser(user.token, user.id, { first_name: "   " });
    expect(expectProblem(blank, 422, "validation_failed").errors?.[0]?.path).toBe("first_name");
  });

  it("lets only one of two users claim a username at the same moment", async () => {
    const first = await signUp();
    const second = await signUp();
    const wanted = uniqueName("wanted");
    const results = await Promise.all([
      updateUser(first.token, first.id, { username: wanted }),
      updateUser(second.token, second.id, { username: wanted.toUpperCase() }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses, results.map((r) => r.text).join(" | ")).toEqual([200, 409]);
    const loser = results.find((r) => r.status === 409) as (typeof results)[number];
    expect(expectProblem(loser, 409, "conflict").errors?.[0]?.path).toBe("username");
  });

  it("with If-Match: * succeeds", async () => {
    const user = await signUp();
    const res = await updateUser(user.token, user.id, { first_name: "Star" }, { ifMatch: "*" });
    expect(res.status, res.text).toBe(200);
  });

  it("with an If-Match list succeeds when any listed ETag is current", async () => {
    const user = await signUp();
    const etag = await etagOf(user.token, "me");
    const listed = `"999", W/"5", ${etag}`;
    const res = await updateUser(
      user.token,
      user.id,
      { first_name: "Listed" },
      { ifMatch: listed },
    );
    expect(res.status, res.text).toBe(200);
    const stale = await updateUser(
      user.token,
      user.id,
      { first_name: "Stale" },
      { ifMatch: `"999", ${etag}` },
    );
    expectProblem(stale, 412, "precondition_failed");
  });

  it.each(["garbage", '"abc"', '"-1"', 'W/"1"', '"999999999"', "1"])(
    "with If-Match %s is 412",
    async (ifMatch) => {
      const user = await signUp();
      const res = await updateUser(user.token, user.id, { first_name: "Nope" }, { ifMatch });
      expectProblem(res, 412, "precondition_failed");
      expect((await me(user.token)).json.first_name).toBe("Test");
    },
  );

  it("with one ETag sent twice at the same moment succeeds once", async () => {
    const user = await signUp();
    const etag = await etagOf(user.token, "me");
    const results = await Promise.all(
      ["One", "Two"].map((first_name) =>
        updateUser(user.token, user.id, { first_name }, { ifMatch: etag }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses, results.map((r) => r.text).join(" | ")).toEqual([200, 412]);
    const winner = results.find((r) => r.status === 200);
    expect((await me(user.token)).json.first_name).toBe(winner?.json.user.first_name);
  });

  it("by an admin honours If-Match too", async () => {
    const admin = await signUp({ admin: true });
    const user = await registerUser();
    const etag = await etagOf(admin.token, user.id);
    const first = await updateUser(admin.token, user.id, { active: false }, { ifMatch: etag });
    expect(first.status, first.text).toBe(200);
    const second = await updateUser(admin.token, user.id, { active: true }, { ifMatch: etag });
    expectProblem(second, 412, "precondition_failed");
  });
});

describe("PATCH /users/me", () => {
  it.each([{ role: "ADMIN" }, { active: false }])(
    "refuses %o from a non-admin with 403",
    async (body) => {
      const user = await signUp();
      expectProblem(await updateUser(user.token, "me", body), 403, "forbidden");
      expect((await me(user.token)).json).toEqual(user.user);
    },
  );

  it("honours If-Match", async () => {
    const user = await signUp();
    const etag = (await me(user.token)).headers.get("etag") as string;
    const ok = await updateUser(user.token, "me", { first_name: "Matched" }, { ifMatch: etag });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.headers.get("etag")).not.toBe(etag);
    const stale = await updateUser(user.token, "me", { first_name: "Stale" }, { ifMatch: etag });
    expectProblem(stale, 412, "precondition_failed");
    expect((await me(user.token)).json.first_name).toBe("Matched");
  });
});

describe("PATCH /users/{id} with an invalid body", () => {
  it("refuses an empty body with 422 and changes nothing", async () => {
    const user = await signUp();
    const res = await updateUser(user.token, user.id, {});
    expect(expectProblem(res, 422, "validation_failed").errors?.[0]?.message).toContain(
      "at least one field",
    );
    const after = await me(user.token);
    expect(after.json.updated_at).toBe(user.user.updated_at);
    expect(after.headers.get("etag")).toBe('"1"');
  });

  it.each([
    ["password", { password: "Another-Good-Passphrase-9" }],
    ["id", { id: "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70" }],
    ["created_at", { created_at: "2020-01-01T00:00:00.000Z" }],
    ["updated_at", { updated_at: "2020-01-01T00:00:00.000Z" }],
    ["password_hash", { password_hash: "x" }],
    ["token_version", { token_version: 0 }],
    ["nickname", { first_name: "Ok", nickname: "x" }],
  ])("refuses the field %s with 422 from the user and from an admin", async (field, body) => {
    const user = await signUp();
    const admin = await signUp({ admin: true });
    for (const token of [user.token, admin.token]) {
      const problem = expectProblem(
        await updateUser(token, user.id, body),
        422,
        "validation_failed",
      );
      expect(problem.errors?.map((e) => e.path)).toContain(field);
    }
    expect((await me(user.token)).json).toEqual(user.user);
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
  ])("refuses %s with 422", async (_label, body, path) => {
    const admin = await signUp({ admin: true });
    const target = await registerUser();
    const res = await updateUser(admin.token, target.id, body);
    expect(expectProblem(res, 422, "validation_failed").errors?.map((e) => e.path)).toContain(path);
  });

  it.each([
    ["an array", "[]"],
    ["a string", '"hello"'],
    ["null", "null"],
    ["a number", "42"],
  ])("refuses a JSON body that is %s with 422", async (_label, rawBody) => {
    const user = await signUp();
    const res = await patchRaw(user.token, user.id, rawBody, "application/json");
    expectProblem(res, 422, "validation_failed");
  });

  it("answers malformed JSON with 400 and a non-JSON body with 415", async () => {
    const user = await signUp();
    const malformed = await patchRaw(user.token, user.id, '{"first_name": ', "application/json");
    expectProblem(malformed, 400, "malformed_json");
    const form = await patchRaw(
      user.token,
      user.id,
      "first_name=Ada",
      "application/x-www-form-urlencoded",
    );
    expectProblem(form, 415, "unsupported_media_type");
  });
});
