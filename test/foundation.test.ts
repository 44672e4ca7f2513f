import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PASSWORD, register, registerUser, registration, signUp } from "./helpers/factories";
import { me } from "./helpers/sessions";
import { call, DATABASE_DOWN, expectProblem } from "./helpers/worker";

describe("health", () => {
  it("GET /health answers ok without the database", async () => {
    const res = await call("/health", { env: DATABASE_DOWN });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: "ok" });
  });

  it("GET /health/ready answers ok when the database answers", async () => {
    const res = await call("/health/ready");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: "ok" });
  });

  it("GET /health/ready is a 503 problem when the database is down", async () => {
    const res = await call("/health/ready", { env: DATABASE_DOWN });
    expectProblem(res, 503, "database_unavailable");
    expect(res.headers.get("retry-after")).toBeTruthy();
  });
});

describe("problem+json for bad requests", () => {
  it("answers an unknown route with a 404 problem", async () => {
    const res = await call("/anything", { method: "POST", rawBody: "{bad" });
    const body = expectProblem(res, 404, "not_found");
    expect(body.detail).toContain("/anything");
  });

  it.each([
    [
      "a body that is not JSON",
      "email=alice@example.com&password=x",
      "application/x-www-form-urlencoded",
      415,
      "unsupported_media_type",
    ],
    ["malformed JSON", "{bad", "application/json", 400, "malformed_json"],
  ])("answers %s with a %i problem", async (_label, rawBody, contentType, status, code) => {
    const res = await call("/auth/login", {
      method: "POST",
      rawBody,
      headers: { "Content-Type": contentType },
    });
    expectProblem(res, status, code);
  });

  it("refuses a body over 64 KiB with a 413 problem", async () => {
    const res = await call("/auth/register", {
      method: "POST",
      rawBody: JSON.stringify({ blob: "x".repeat(70 * 1024) }),
      headers: { "Content-Type": "application/json" },
    });
    expectProblem(res, 413, "payload_too_large");
  });

  it("echoes a sane X-Request-Id and replaces an insane one", async () => {
    const echoed = await call("/health", { headers: { "X-Request-Id": "abc-123" } });
    expect(echoed.headers.get("x-request-id")).toBe("abc-123");
    const replaced = await call("/health", { headers: { "X-Request-Id": "<script>" } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("puts the request id of the response into every problem", async () => {
    const res = await call("/nope");
    const body = expectProblem(res, 404, "not_found");
    expect(body.request_id).toBe(res.headers.get("x-request-id"));
  });

  it("sends security headers", async () => {
    const res = await call("/health");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
  });
});

describe("database unavailable", () => {
  const internals = /sql|select|postgres|neon|fetch|127\.0\.0\.1|econnrefused|stack/i;

  it("POST /auth/login is a 503 database_unavailable problem without internals", async () => {
    const user = await registerUser();
    const res = await call("/auth/login", {
      body: { email: user.email, password: PASSWORD },
      env: DATABASE_DOWN,
    });
    expectProblem(res, 503, "database_unavailable");
    expect(res.text).not.toMatch(internals);
    expect(res.text).not.toContain(user.email);
  });

  it("POST /auth/register is a 503 database_unavailable problem without internals", async () => {
    const body = registration();
    const res = await register(body, DATABASE_DOWN);
    expectProblem(res, 503, "database_unavailable");
    expect(res.text).not.toMatch(internals);
    expect(res.text).not.toContain(body.email);
  });

  it("GET /users/me with a valid token is a 503 problem, not a 401, while the database is down", async () => {
    const session = await signUp();
    const res = await me(session.token, DATABASE_DOWN);
    expectProblem(res, 503, "database_unavailable");
    expect(res.text).not.toMatch(internals);
  });
});

describe("configuration", () => {
  it("names a missing JWT_SECRET in a 500 problem", async () => {
    const res = await call("/health", { env: { JWT_SECRET: undefined } });
    const body = expectProblem(res, 500, "configuration_error");
    expect(body.detail).toContain("JWT_SECRET");
  });

  it("names a too short JWT_SECRET and a bad BCRYPT_COST", async () => {
    const res = await call("/health", { env: { JWT_SECRET: "short", BCRYPT_COST: "99" } });
    const body = expectProblem(res, 500, "configuration_error");
    expect(body.detail).toContain("JWT_SECRET");
    expect(body.detail).toContain("BCRYPT_COST");
  });

  it("requires RESEND_API_KEY when MAIL_PROVIDER is resend", async () => {
    const res = await call("/health", { env: { RESEND_API_KEY: undefined } });
    expect(expectProblem(res, 500, "configuration_error").detail).toContain("RESEND_API_KEY");
  });

  it("names a missing DATABASE_URL", async () => {
    const res = await call("/health", { env: { DATABASE_URL: undefined } });
    expect(expectProblem(res, 500, "configuration_error").detail).toContain("DATABASE_URL");
  });
});

describe("CORS", () => {
  it("allows any origin by default", async () => {
    const res = await call("/health", { headers: { Origin: "https://app.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("allows only configured origins", async () => {
    const cors = { CORS_ORIGINS: "https://good.example, https://also.example" };
    const good = await call("/health", { headers: { Origin: "https://good.example" }, env: cors });
    expect(good.headers.get("access-control-allow-origin")).toBe("https://good.example");
    expect(good.headers.get("access-control-expose-headers")).toContain("X-Total-Count");
    const bad = await call("/health", { headers: { Origin: "https://evil.example" }, env: cors });
    expect(bad.headers.get("access-control-allow-origin")).toBeNull();
    // The answer depends on Origin, so a shared cache must keep one per origin, also for none.
    const none = await call("/health", { env: cors });
    for (const res of [good, bad, none]) expect(res.headers.get("vary")).toContain("Origin");
  });

  it("answers a preflight with the allowed methods and headers, and an error with CORS headers", async () => {
    const preflight = await call("/users/me", {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.example",
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, if-match",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("PATCH");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("If-Match");
    const problem = await call("/nope", { headers: { Origin: "https://app.example" } });
    expect(problem.status).toBe(404);
    expect(problem.headers.get("access-control-allow-origin")).toBe("*");
    expect(problem.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("docs", () => {
  it("GET /openapi.json is an OpenAPI 3.1 document with the bearer scheme", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe("3.1.0");
    expect(res.json.components.securitySchemes.bearerAuth).toMatchObject({
      type: "http",
      scheme: "bearer",
    });
    expect(res.json.paths["/health"].get).toBeDefined();
    expect(res.json.components.schemas.Problem).toBeDefined();
  });

  it.each(["/apidocs", "/apidocs/"])("GET %s serves Swagger UI from local assets", async (path) => {
    const res = await call(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.text).toContain("/openapi.json");
    const scripts = [...res.text.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map(
      (m) => m[1] ?? "",
    );
    expect(scripts.length).toBeGreaterThanOrEqual(2);
    for (const asset of scripts) {
      expect(asset.startsWith("/apidocs/assets/")).toBe(true);
      const file = await (env as unknown as { ASSETS: Fetcher }).ASSETS.fetch(
        `http://localhost${asset}`,
      );
      expect(file.status).toBe(200);
      expect((await file.text()).length).toBeGreaterThan(1000);
    }
  });
});
