import { describe, expect, it } from "vitest";
import { registerUser, signUp } from "./helpers/factories";
import { me } from "./helpers/sessions";
import { etagOf, updateUser } from "./helpers/users";
import { expectProblem } from "./helpers/worker";

const ETAG = /^"\d+"$/;

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

describe("PUT and PATCH /users/{id} with If-Match", () => {
  it.each(["PATCH", "PUT"])(
    "%s with the current ETag succeeds and returns the next ETag",
    async (method) => {
      const user = await signUp();
      const etag = await etagOf(user.token, user.id);
      expect(etag).toMatch(ETAG);
      const res = await updateUser(
        user.token,
        user.id,
        { last_name: "Tagged" },
        { method, ifMatch: etag },
      );
      expect(res.status, res.text).toBe(200);
      expect(res.json.user.last_name).toBe("Tagged");
      const next = res.headers.get("etag");
      expect(next).toMatch(ETAG);
      expect(next).not.toBe(etag);
      expect(await etagOf(user.token, user.id)).toBe(next);
    },
  );

  it.each(["PATCH", "PUT"])("%s with a stale ETag is 412 and changes nothing", async (method) => {
    const user = await signUp();
    const admin = await signUp({ admin: true });
    const etag = await etagOf(user.token, user.id);
    const meanwhile = await updateUser(admin.token, user.id, { first_name: "Meanwhile" });
    expect(meanwhile.status).toBe(200);
    const res = await updateUser(
      user.token,
      user.id,
      { first_name: "Overwrite" },
      { method, ifMatch: etag },
    );
    expectProblem(res, 412, "precondition_failed");
    expect((await me(user.token)).json.first_name).toBe("Meanwhile");
  });

  it("PATCH with If-Match: * succeeds", async () => {
    const user = await signUp();
    const res = await updateUser(user.token, user.id, { first_name: "Star" }, { ifMatch: "*" });
    expect(res.status, res.text).toBe(200);
  });

  it("PATCH with an If-Match list succeeds when any listed ETag is current", async () => {
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
    "PATCH with If-Match %s is 412",
    async (ifMatch) => {
      const user = await signUp();
      const res = await updateUser(user.token, user.id, { first_name: "Nope" }, { ifMatch });
      expectProblem(res, 412, "precondition_failed");
      expect((await me(user.token)).json.first_name).toBe("Test");
    },
  );

  it("PATCH with one ETag sent twice at the same moment succeeds once", async () => {
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

  it("PATCH by an admin honours If-Match too", async () => {
    const admin = await signUp({ admin: true });
    const user = await registerUser();
    const etag = await etagOf(admin.token, user.id);
    const first = await updateUser(admin.token, user.id, { active: false }, { ifMatch: etag });
    expect(first.status, first.text).toBe(200);
    const second = await updateUser(admin.token, user.id, { active: true }, { ifMatch: etag });
    expectProblem(second, 412, "precondition_failed");
  });
});
