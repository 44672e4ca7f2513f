// What third-party validators hold the OpenAPI document and the server to: the headers every
// response carries are documented, "exactly one of" is a oneOf, and the server refuses what the
// document does not promise (other JSON media types, an empty If-Match, invisible names, a "new"
// password that is the current one).
import { beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, register, registration, signUp } from "./helpers/factories";
import { mailedToken, reset } from "./helpers/password-reset";
import { changePassword, expectLiveSession } from "./helpers/sessions";
import { updateUser } from "./helpers/users";
import { call, expectProblem } from "./helpers/worker";

// biome-ignore lint/suspicious/noExplicitAny: the tests walk a JSON document of every shape.
let document: any;
beforeAll(async () => {
  document = (await call("/openapi.json")).json;
});

/** Every documented response: [where, status, response]. */
function responses(): [string, string, { headers?: Record<string, { $ref?: string }> }][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item as object).flatMap(([method, operation]) =>
      Object.entries(operation.responses).map(
        ([status, response]) =>
          [`${method.toUpperCase()} ${path} ${status}`, status, response] as [
            string,
            string,
            { headers?: Record<string, { $ref?: string }> },
          ],
      ),
    ),
  );
}

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });

describe("the headers the server adds are documented", () => {
  it("X-Request-Id on every response, as the server sends it", async () => {
    const all = responses();
    expect(all.length).toBeGreaterThan(100);
    for (const [where, , response] of all) {
      expect(response.headers?.["X-Request-Id"], where).toEqual(ref("X-Request-Id"));
    }
    expect(document.components.headers["X-Request-Id"].schema).toMatchObject({ type: "string" });
    const res = await call("/nowhere");
    expect(res.headers.get("X-Request-Id")).toBeTruthy();
  });

  it("WWW-Authenticate on every 401, Retry-After on every 429 and 503", async () => {
    const expected: Record<string, string> = {
      "401": "WWW-Authenticate",
      "429": "Retry-After",
      "503": "Retry-After",
    };
    let seen = 0;
    for (const [where, status, response] of responses()) {
      const name = expected[status];
      if (!name) continue;
      seen++;
      expect(response.headers?.[name], where).toEqual(ref(name));
    }
    expect(seen).toBeGreaterThan(30);
    const res = await call("/users/me");
    expectProblem(res, 401, "unauthorized");
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm=/);
  });

  it("Allow on 405, in the document's description as in the answer", async () => {
    expect(document.info.description).toMatch(/405 `method_not_allowed` with `Allow`/);
    const res = await call("/auth/login", { method: "GET" });
    expectProblem(res, 405, "method_not_allowed");
    expect(res.headers.get("Allow")).toBe("POST");
  });
});

describe("exactly one second factor", () => {
  it.each(["MfaVerifyRequest", "TotpDisableRequest"])("%s says it with oneOf", (name) => {
    expect(document.components.schemas[name].oneOf).toEqual([
      { required: ["code"] },
      { required: ["recovery_code"] },
    ]);
  });

  it.each([[{ code: "123456", recovery_code: "k7rm-2xqd-9fha-tw4p" }], [{}]])(
    "the server refuses what oneOf refuses: %j",
    async (factors) => {
      const res = await call("/auth/mfa/verify", { body: { mfa_token: "x", ...factors } });
      expectProblem(res, 422, "validation_failed");
    },
  );
});

describe("request bodies are application/json", () => {
  it.each([
    "application/merge-patch+json",
    "application/json-patch+json",
    "application/vnd.api+json",
  ])("PATCH with %s is 415 with Accept-Patch, and changes nothing", async (type) => {
    const user = await signUp();
    const res = await call("/users/me", {
      method: "PATCH",
      token: user.token,
      headers: { "Content-Type": type },
      rawBody: JSON.stringify({ first_name: "Merged" }),
    });
    expectProblem(res, 415, "unsupported_media_type");
    expect(res.headers.get("Accept-Patch")).toBe("application/json");
    expect((await call("/users/me", { token: user.token })).json.first_name).not.toBe("Merged");
  });

  it("PATCH with a body that is not JSON at all is 415 with Accept-Patch too", async () => {
    const user = await signUp();
    const res = await call("/users/me", {
      method: "PATCH",
      token: user.token,
      headers: { "Content-Type": "text/plain" },
      rawBody: "first_name=Plain",
    });
    expectProblem(res, 415, "unsupported_media_type");
    expect(res.headers.get("Accept-Patch")).toBe("application/json");
    expect(res.headers.get("Accept-Post")).toBeNull();
  });

  it("POST with a +json type is 415 with Accept-Post; application/json with a charset works", async () => {
    const body = JSON.stringify(registration());
    const refused = await call("/auth/register", {
      headers: { "Content-Type": "application/vnd.user+json" },
      rawBody: body,
    });
    expectProblem(refused, 415, "unsupported_media_type");
    expect(refused.headers.get("Accept-Post")).toBe("application/json");
    const accepted = await call("/auth/register", {
      headers: { "Content-Type": "application/json; charset=utf-8" },
      rawBody: body,
    });
    expect(accepted.status, accepted.text).toBe(201);
  });

  it("the document says so", () => {
    expect(document.info.description).toContain("application/merge-patch+json");
  });
});

describe("an empty If-Match is no unconditional update", () => {
  it("is 412, documented, and changes nothing", async () => {
    const user = await signUp();
    const res = await updateUser(
      user.token,
      "me",
      { first_name: "Unconditional" },
      { ifMatch: "" },
    );
    expectProblem(res, 412, "precondition_failed");
    expect((await call("/users/me", { token: user.token })).json.first_name).not.toBe(
      "Unconditional",
    );
    const parameter = document.paths["/users/me"].patch.parameters.find(
      (p: { name: string }) => p.name === "if-match",
    );
    expect(parameter.description).toContain("an empty `If-Match:`");
  });
});

describe("a name must show something", () => {
  const invisible = ["\u200b\u200b", "\u0301\u0302", " \u200d\u0301 ", "\u2060\ufeff\u00ad"];

  it.each(invisible)("registering with the name %j is 422", async (name) => {
    const res = await register(registration({ first_name: name }));
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors).toEqual([
      { path: "first_name", message: "must contain a visible character, not only invisible ones" },
    ]);
  });

  it("updating to an invisible name is 422; a name with a combining accent is fine", async () => {
    const user = await signUp();
    const refused = await updateUser(user.token, "me", { last_name: "\u200b\u0301" });
    expectProblem(refused, 422, "validation_failed");
    const accepted = await updateUser(user.token, "me", { last_name: "Rene\u0301e" });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.json.user.last_name).toBe("Rene\u0301e");
  });
});

describe("a new password must differ from the current one", () => {
  it("POST /auth/change-password with the same password is 422, and the session lives", async () => {
    const user = await signUp();
    const res = await changePassword(user.token, PASSWORD, PASSWORD);
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors).toEqual([
      { path: "new_password", message: "must differ from the current password" },
    ]);
    await expectLiveSession(user);
  });

  it("POST /auth/reset-password with the current password is 422, and the token still works", async () => {
    const user = await signUp();
    const { token } = await mailedToken(user.email);
    const same = await reset(token, PASSWORD);
    const problem = expectProblem(same, 422, "validation_failed");
    expect(problem.errors).toEqual([
      { path: "new_password", message: "must differ from the current password" },
    ]);
    await expectLiveSession(user);
    expect((await reset(token)).status).toBe(200);
  });
});
