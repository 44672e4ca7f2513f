// Outside local development (no NEON_FETCH_ENDPOINT) the Worker refuses the settings that would
// quietly make a deploy unsafe: a mail provider that prints reset links, example secrets, email
// links to this machine or from an example domain.
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
  MAIL_FROM: "Acme Accounts <no-reply@accounts.acme.dev>",
  PASSWORD_RESET_URL: "https://app.acme.dev/reset-password",
  EMAIL_VERIFY_URL: "https://app.acme.dev/verify-email",
  MFA_ENCRYPTION_KEY: "3q2+7w5xY1Q4Zk9vJmVtQ2FyZ29LZXlGb3JUZXN0czE=",
  WEBAUTHN_RP_ID: "acme.dev",
  WEBAUTHN_ORIGINS: "https://app.acme.dev,https://acme.dev",
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
    // What a deploy that skipped the checklist ships: the defaults and wrangler.toml's placeholders.
    ["PASSWORD_RESET_URL", { PASSWORD_RESET_URL: undefined }],
    ["PASSWORD_RESET_URL", { PASSWORD_RESET_URL: "http://app.acme.dev/reset-password" }],
    ["PASSWORD_RESET_URL", { PASSWORD_RESET_URL: "https://127.0.0.1:8787/reset-password" }],
    ["PASSWORD_RESET_URL", { PASSWORD_RESET_URL: "https://app.example.com/reset-password" }],
    ["EMAIL_VERIFY_URL", { EMAIL_VERIFY_URL: undefined }],
    ["EMAIL_VERIFY_URL", { EMAIL_VERIFY_URL: "https://localhost/verify-email" }],
    ["EMAIL_VERIFY_URL", { EMAIL_VERIFY_URL: "https://app.example.org/verify-email" }],
    ["MAIL_FROM", { MAIL_FROM: undefined }],
    ["MAIL_FROM", { MAIL_FROM: "Your App <no-reply@example.com>" }],
    ["MAIL_FROM", { MAIL_FROM: "no-reply@mail.example.org" }],
    ["MAIL_FROM", { MAIL_FROM: "User API <no-reply@example.test>" }],
    [
      "MFA_ENCRYPTION_KEY",
      { MFA_ENCRYPTION_KEY: "bG9jYWwtZGV2ZWxvcG1lbnQtbWZhLWtleS0zMi1ieXRlcw==" },
    ],
    ["MFA_ENCRYPTION_KEY", { MFA_ENCRYPTION_KEY: btoa("\0".repeat(32)) }],
    // Passkeys made for localhost or a placeholder domain could never be used by anyone.
    ["WEBAUTHN_RP_ID", { WEBAUTHN_RP_ID: undefined, WEBAUTHN_ORIGINS: undefined }],
    [
      "WEBAUTHN_RP_ID",
      { WEBAUTHN_RP_ID: "app.example.com", WEBAUTHN_ORIGINS: "https://app.example.com" },
    ],
    ["WEBAUTHN_ORIGINS", { WEBAUTHN_ORIGINS: "http://app.acme.dev" }],
    ["WEBAUTHN_ORIGINS", { WEBAUTHN_ORIGINS: "https://evil.dev" }],
  ])("refuses an unsafe %s", async (name, env) => {
    expect(await configurationError(env)).toContain(name);
  });

  it("refuses every placeholder of wrangler.toml at once, naming each", async () => {
    const detail = await configurationError({
      MAIL_FROM: "Your App <no-reply@example.com>",
      PASSWORD_RESET_URL: "https://app.example.com/reset-password",
      EMAIL_VERIFY_URL: "https://app.example.com/verify-email",
      WEBAUTHN_RP_ID: "app.example.com",
      WEBAUTHN_ORIGINS: "https://app.example.com",
    });
    for (const name of ["MAIL_FROM", "PASSWORD_RESET_URL", "EMAIL_VERIFY_URL", "WEBAUTHN_RP_ID"]) {
      expect(detail).toContain(name);
    }
  });

  it("allows the log mail provider, example keys and local links in local development", async () => {
    const res = await call("/health", {
      env: {
        MAIL_PROVIDER: "log",
        SECRET_ADMIN_KEY: "local-admin-key",
        MAIL_FROM: "User API <no-reply@example.com>",
        PASSWORD_RESET_URL: "http://localhost:8787/reset-password",
        MFA_ENCRYPTION_KEY: "bG9jYWwtZGV2ZWxvcG1lbnQtbWZhLWtleS0zMi1ieXRlcw==",
      },
    });
    expect(res.status, res.text).toBe(200);
  });

  it("allows passkeys for localhost over http: in local development", async () => {
    const res = await call("/health", {
      env: { WEBAUTHN_RP_ID: "localhost", WEBAUTHN_ORIGINS: "http://localhost:5173" },
    });
    expect(res.status, res.text).toBe(200);
  });

  it.each<[string, Record<string, string>]>([
    // Browsers offer WebAuthn over http: to localhost only; anything else is a typo or a hole.
    [
      "an http: origin off this machine",
      { WEBAUTHN_RP_ID: "test.dev", WEBAUTHN_ORIGINS: "http://app.test.dev" },
    ],
    [
      "an origin outside the RP ID",
      { WEBAUTHN_RP_ID: "localhost", WEBAUTHN_ORIGINS: "http://127.0.0.1:8787" },
    ],
    [
      "an origin with a path",
      { WEBAUTHN_RP_ID: "localhost", WEBAUTHN_ORIGINS: "http://localhost:8787/passkeys" },
    ],
    ["no origin", { WEBAUTHN_RP_ID: "localhost", WEBAUTHN_ORIGINS: " , " }],
    [
      "an RP ID with a scheme",
      { WEBAUTHN_RP_ID: "https://localhost", WEBAUTHN_ORIGINS: "http://localhost:8787" },
    ],
    [
      "an IP address as RP ID",
      { WEBAUTHN_RP_ID: "127.0.0.1", WEBAUTHN_ORIGINS: "http://127.0.0.1:8787" },
    ],
  ])("refuses passkey settings with %s, even locally", async (_, env) => {
    expect(
      await configurationError({ NEON_FETCH_ENDPOINT: "http://127.0.0.1:8788/sql", ...env }),
    ).toMatch(/WEBAUTHN_(ORIGINS|RP_ID)/);
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
