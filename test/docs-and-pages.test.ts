import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signUp } from "./helpers/factories";
import { me } from "./helpers/sessions";
import { listUsers } from "./helpers/users";
import { type CallResult, call, expectProblem } from "./helpers/worker";

const assets = (env as unknown as { ASSETS: Fetcher }).ASSETS;

/** The scripts and style sheets a page loads: each from this origin's static assets. */
async function expectLocalAssets(res: CallResult, prefix: string) {
  const urls = [...res.text.matchAll(/(?:src|href)="(\/[^"]+)"/g)]
    .map((m) => m[1] ?? "")
    .filter((url) => /\.(js|css)$/.test(url));
  expect(urls.length).toBeGreaterThanOrEqual(2);
  for (const url of urls) {
    expect(url.startsWith(prefix), url).toBe(true);
    const file = await assets.fetch(`http://localhost${url}`);
    expect(file.status, url).toBe(200);
    expect((await file.text()).length, url).toBeGreaterThan(300);
  }
}

/** No inline script at all: every <script> has a src. */
function expectNoInlineScript(html: string) {
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  expect(scripts.length).toBeGreaterThan(0);
  for (const [, attributes, body] of scripts) {
    expect(attributes).toMatch(/\bsrc="/);
    expect(body?.trim()).toBe("");
  }
}

describe("GET /", () => {
  it("points to the docs and the OpenAPI document", async () => {
    const res = await call("/");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      name: "User Management API",
      docs: "/apidocs",
      openapi: "/openapi.json",
      health: "/health",
    });
  });
});

describe("GET /apidocs", () => {
  it("boots Swagger UI from a static file under a CSP without inline scripts", async () => {
    const res = await call("/apidocs");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expectNoInlineScript(res.text);
    expect(res.text).toContain('src="/apidocs/assets/swagger-ui-boot.js"');
    expect(res.text).toContain('data-url="/openapi.json"');
    await expectLocalAssets(res, "/apidocs/assets/");
  });

  it("its boot script strips a pasted Bearer prefix in Authorize", async () => {
    const file = await assets.fetch("http://localhost/apidocs/assets/swagger-ui-boot.js");
    expect(await file.text()).toContain("requestInterceptor: withOneBearer");
  });
});

/** The security headers the Worker sets on its own responses, which the static pages carry too. */
const SECURITY_HEADERS = {
  "strict-transport-security": "max-age=15552000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "SAMEORIGIN",
  "cross-origin-opener-policy": "same-origin",
};

/** A static page as Workers Static Assets serve it, the request never reaching the Worker. */
async function staticPage(url: string): Promise<CallResult> {
  const res = await assets.fetch(`http://localhost${url}`);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: undefined, answeredMs: 0 };
}

/** The headers public/_headers gives a page: a strict CSP, no caching, the security headers. */
function expectStrictPageHeaders(res: CallResult) {
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/html");
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    expect(res.headers.get(name), name).toBe(value);
  }
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).not.toContain("unsafe");
  expectNoInlineScript(res.text);
}

describe.each([
  ["/reset-password", "/auth/reset-password", "reset_token"],
  ["/verify-email", "/auth/verify-email", "token"],
])("GET %s?token=", (path, endpoint, tokenField) => {
  it("is a static page whose form posts the token as JSON, under a strict CSP", async () => {
    const res = await staticPage(`${path}?token=abc`);
    expectStrictPageHeaders(res);
    expect(res.text).toContain(`data-endpoint="${endpoint}"`);
    expect(res.text).toContain(`data-token-field="${tokenField}"`);
    // The token stays in the browser: the page never echoes it.
    expect(res.text).not.toContain("abc");
    await expectLocalAssets(res, "/pages/");
  });

  it("is not the Worker's: a link's token reaches no Worker log line or trace", async () => {
    // Workers Static Assets answer the path before the Worker runs; were the request to reach
    // the Worker, it would know no such page.
    expectProblem(await call(`${path}?token=abc`), 404, "not_found");
  });
});

describe("GET /passkeys", () => {
  it("is a static page under the same strict CSP, its script a file that uses the public API only", async () => {
    const res = await staticPage("/passkeys");
    expectStrictPageHeaders(res);
    expect(res.text).toContain('src="/pages/passkeys.js"');
    for (const id of ["password-form", "token-form", "add-form", "passkey-form", "result"]) {
      expect(res.text).toContain(`id="${id}"`);
    }
    await expectLocalAssets(res, "/pages/");
    const script = await (await assets.fetch("http://localhost/pages/passkeys.js")).text();
    for (const endpoint of [
      "register/options",
      "register/verify",
      "login/options",
      "login/verify",
    ]) {
      expect(script).toContain(`/auth/passkeys/${endpoint}`);
    }
    expect(script).toContain("parseCreationOptionsFromJSON");
    expect(script).not.toContain("innerHTML");
  });
});

describe("a known path asked with another method", () => {
  it.each([
    ["DELETE", "/auth/login", "POST"],
    ["GET", "/auth/register", "POST"],
    ["POST", "/health", "GET, HEAD"],
    ["POST", "/users", "GET, HEAD"],
    ["POST", "/users/0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70", "GET, PUT, PATCH, DELETE, HEAD"],
    ["POST", "/openapi.json", "GET, HEAD"],
  ])("%s %s is a 405 problem with Allow: %s", async (method, path, allow) => {
    const res = await call(path, { method });
    const problem = expectProblem(res, 405, "method_not_allowed");
    expect(res.headers.get("allow")).toBe(allow);
    expect(problem.detail).toContain(allow);
  });

  it("an unknown path is still a 404", async () => {
    expectProblem(await call("/users/me/friends", { method: "POST" }), 404, "not_found");
  });
});

describe("messages that say what to fix", () => {
  it("GET /users?per_page=101 names the allowed range", async () => {
    const admin = await signUp({ admin: true });
    for (const query of ["per_page=101", "per_page=0", "per_page=1e2", "page=0"]) {
      const problem = expectProblem(await listUsers(admin.token, query), 422, "validation_failed");
      const field = query.split("=")[0];
      // A page past the bounded depth is told where deeper pages are.
      const message =
        field === "page"
          ? expect.stringMatching(/^must be an integer from 1 to 10000, .*\(cursor\)$/)
          : "must be an integer from 1 to 100";
      expect(problem.errors).toEqual([{ path: `query.${field}`, message }]);
    }
  });

  it("an Authorization header that says Bearer twice is told to send the token once", async () => {
    const session = await signUp();
    const res = await me({ authorization: `Bearer Bearer ${session.token}` });
    const problem = expectProblem(res, 401, "invalid_token");
    expect(problem.detail).toContain("Bearer twice");
  });
});
