// Outside local development (no NEON_FETCH_ENDPOINT) the Worker refuses the settings that would
// quietly make a deploy unsafe: a mail provider that prints reset links, example secrets.
import { describe, expect, it } from "vitest";
import { EXAMPLE_SIGNING_KEYS, generateSigningKey } from "../src/lib/signing-keys";
import { call, expectProblem } from "./helpers/worker";

/** Production-like bindings: no local endpoint, a real mail provider, strong secrets. */
const production = {
  NEON_FETCH_ENDPOINT: undefined,
  MAIL_PROVIDER: "resend",
  RESEND_API_KEY: "re_live_key",
  JWT_SECRET: "a-random-production-secret-that-is-long-enough-0123456789",
  SECRET_ADMIN_KEY: "an-admin-key-of-at-least-thirty-two-characters",
  JWT_SIGNING_KEYS: JSON.stringify([await generateSigningKey("ES256", "current")]),
};

async function configurationError(env: Record<string, unknown>) {
  const res = await call("/health", { env: { ...production, ...env } });
  return expectProblem(res, 500, "configuration_error").detail;
}

describe("configuration outside local development", () => {
  it("serves with production settings", async () => {
    const res = await call("/health", { env: production });
    expect(res.status, res.text).toBe(200);
  });

  it.each([
    ["MAIL_PROVIDER", { MAIL_PROVIDER: "log" }],
    ["JWT_SECRET", { JWT_SECRET: "change-me-change-me-change-me-change-me" }],
    ["SECRET_ADMIN_KEY", { SECRET_ADMIN_KEY: "local-admin-key" }],
    ["SECRET_ADMIN_KEY", { SECRET_ADMIN_KEY: "short-admin-key" }],
    ["SECRET_ADMIN_KEY", { SECRET_ADMIN_KEY: undefined, SECRETE_ADMIN_KEY: "test-admin-key" }],
    // The tests' key set is in the repository; under another kid it is still the same key.
    ["JWT_SIGNING_KEYS", { JWT_SIGNING_KEYS: JSON.stringify(EXAMPLE_SIGNING_KEYS) }],
    [
      "JWT_SIGNING_KEYS",
      {
        JWT_SIGNING_KEYS: JSON.stringify(
          EXAMPLE_SIGNING_KEYS.map((key) => ({ ...key, kid: "renamed" })),
        ),
      },
    ],
  ])("refuses an unsafe %s", async (name, env) => {
    expect(await configurationError(env)).toContain(name);
  });

  it("allows the log mail provider and example keys (the tests' own) in local development", async () => {
    const res = await call("/health", {
      env: { MAIL_PROVIDER: "log", SECRET_ADMIN_KEY: "local-admin-key" },
    });
    expect(res.status, res.text).toBe(200);
  });

  it.each(["http://example.com/sql", "http://10.0.0.5:8788/sql", "https://db.example.test/sql"])(
    "refuses a NEON_FETCH_ENDPOINT that is not loopback (%s): it would receive the password",
    async (endpoint) => {
      expect(await configurationError({ NEON_FETCH_ENDPOINT: endpoint })).toContain(
        "NEON_FETCH_ENDPOINT",
      );
    },
  );
});
