// `npm run smoke -- https://your-worker.example`: checks a deployment from the outside, the way
// its clients will use it. Readiness (the database answers), the OpenAPI document and Swagger UI,
// then a round trip with a throwaway user: register, log in, read itself, and delete it again.
//
// Deleting a user needs an admin (there is no self-delete), so the round trip logs in as one:
// SMOKE_ADMIN_EMAIL and SMOKE_ADMIN_PASSWORD (environment variables, so they stay out of the shell
// history), checked before anything is written. Without them the script refuses to write, unless
// told `--read-only`, which skips the round trip: a smoke test never passes quietly half-done.
// A production admin has two-factor login on: SMOKE_ADMIN_TOTP_SECRET (the base32 secret of its
// authenticator, to compute the current code) or SMOKE_ADMIN_RECOVERY_CODE (which it spends).
// Without a URL it tests the local dev server (`npm run dev`, PORT or 8787).
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { totpCode, totpStep } from "../src/lib/totp.ts";

/** The admin's second factor, for an admin with two-factor login on. */
export type SecondFactor = { totpSecret: string } | { recoveryCode: string };

export type SmokeOptions = {
  admin?: { email: string; password: string; factor?: SecondFactor };
  readOnly?: boolean;
  log?: (line: string) => void;
};

class SmokeFailure extends Error {}

// biome-ignore lint/suspicious/noExplicitAny: answers of every shape are checked by hand.
type Answer = { status: number; headers: Headers; body: any };

export async function smoke(baseUrl: string, options: SmokeOptions = {}): Promise<number> {
  const log = options.log ?? console.log;
  const base = new URL(baseUrl).origin;
  let checks = 0;

  async function step(
    label: string,
    path: string,
    init: { method?: string; json?: unknown; token?: string } = {},
    expect: (answer: Answer) => string | undefined = () => undefined,
    statuses: number[] = [200],
  ): Promise<Answer> {
    const started = Date.now();
    const headers: Record<string, string> = {};
    if (init.json !== undefined) headers["Content-Type"] = "application/json";
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method: init.method ?? (init.json === undefined ? "GET" : "POST"),
        headers,
        body: init.json === undefined ? undefined : JSON.stringify(init.json),
        redirect: "manual",
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new SmokeFailure(`${label}: ${error instanceof Error ? error.message : error}`);
    }
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: checked as text.
    }
    const answer = { status: response.status, headers: response.headers, body };
    const wrong = statuses.includes(response.status)
      ? expect(answer)
      : `answered ${response.status}: ${text.slice(0, 300)}`;
    if (wrong) throw new SmokeFailure(`${label}: ${wrong}`);
    checks++;
    log(`  ok  ${label} (${response.status}, ${Date.now() - started} ms)`);
    return answer;
  }

  log(`Smoke test of ${base}`);
  try {
    await step("GET /health/ready: the database answers", "/health/ready", {}, ({ body }) =>
      body?.status === "ok" ? undefined : `unexpected body ${JSON.stringify(body)}`,
    );
    await step("GET /openapi.json: the OpenAPI document", "/openapi.json", {}, ({ body }) =>
      body?.openapi === "3.1.0" && body.paths?.["/auth/login"]
        ? undefined
        : "not the API's OpenAPI 3.1 document",
    );
    await step("GET /apidocs: Swagger UI", "/apidocs", {}, ({ headers }) =>
      headers.get("content-type")?.includes("text/html") ? undefined : "not an HTML page",
    );
    const jwks = await step(
      "GET /.well-known/jwks.json: the public signing keys",
      "/.well-known/jwks.json",
      {},
      ({ body }) => {
        const keys: { kid?: unknown; alg?: unknown; d?: unknown }[] = body?.keys ?? [];
        if (keys.length === 0) return "no keys";
        if (keys.some((key) => "d" in key)) return "it publishes a private key";
        return keys.every(
          (key) => typeof key.kid === "string" && /^(ES256|EdDSA)$/.test(String(key.alg)),
        )
          ? undefined
          : "a key without a kid or with another algorithm";
      },
    );
    const publishedKids = new Set(jwks.body.keys.map((key: { kid: string }) => key.kid));
    if (options.readOnly) {
      log(`Smoke test passed: ${checks} checks (read-only: no user was created).`);
      return 0;
    }
    const admin = options.admin;
    if (!admin) {
      throw new SmokeFailure(
        "the register-login round trip needs an admin to delete its throwaway user: set SMOKE_ADMIN_EMAIL and SMOKE_ADMIN_PASSWORD, or pass --read-only to skip it",
      );
    }

    // The admin first, so wrong credentials stop the run before anything is written.
    const isAdmin = ({ body }: Answer) =>
      body?.user?.role === "ADMIN" ? undefined : "that account is not an ADMIN";
    let adminLogin = await step(
      "POST /auth/login as the admin",
      "/auth/login",
      { json: { email: admin.email, password: admin.password } },
      (answer) => (answer.body?.mfa_required ? undefined : isAdmin(answer)),
    );
    if (adminLogin.body?.mfa_required) {
      const factor = admin.factor;
      if (!factor) {
        throw new SmokeFailure(
          "the admin has two-factor login on (the password was right): set SMOKE_ADMIN_TOTP_SECRET (the base32 secret of its authenticator) or SMOKE_ADMIN_RECOVERY_CODE (spends that code)",
        );
      }
      const second =
        "totpSecret" in factor
          ? { code: totpCode(factor.totpSecret, totpStep(Date.now() / 1000)) }
          : { recovery_code: factor.recoveryCode };
      adminLogin = await step(
        `POST /auth/mfa/verify the admin's ${"code" in second ? "TOTP code" : "recovery code"}`,
        "/auth/mfa/verify",
        { json: { mfa_token: adminLogin.body.mfa_token, ...second } },
        isAdmin,
      );
      if ("recovery_code" in second) {
        log(`      (a recovery code was spent: ${adminLogin.body.recovery_codes_left} left)`);
      }
    }
    const adminToken: string = adminLogin.body.access_token;

    const tag = randomBytes(6).toString("hex");
    const user = {
      username: `smoke_${tag}`,
      // example.com is reserved (RFC 2606): no one receives what the API may send there.
      email: `smoke-${tag}@example.com`,
      first_name: "Smoke",
      last_name: "Test",
      password: `Smoke-${randomBytes(18).toString("base64url")}`,
    };
    let userId: string | undefined;
    try {
      const registered = await step(
        `POST /auth/register a throwaway user ${user.username}`,
        "/auth/register",
        { json: user },
        ({ body }) => (body?.user?.id ? undefined : "no user in the answer"),
        [201],
      );
      userId = registered.body.user.id;
      const login = await step(
        "POST /auth/login as the throwaway user",
        "/auth/login",
        { json: { email: user.email, password: user.password } },
        ({ status, body }) =>
          status === 403
            ? body?.code === "email_not_verified"
              ? undefined
              : `403 ${body?.code}`
            : body?.access_token
              ? undefined
              : "no access token",
        [200, 403],
      );
      if (login.status === 200) {
        const token: string = login.body.access_token;
        const kid = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString()).kid;
        if (!publishedKids.has(kid)) {
          throw new SmokeFailure(`the access token's kid ${kid} is not in the JWKS`);
        }
        await step(
          "POST /auth/introspect its access token",
          "/auth/introspect",
          { json: { token } },
          ({ body }) =>
            body?.active === true && body.sub === userId ? undefined : "not active for the user",
        );
        await step("GET /users/me with its access token", "/users/me", { token }, ({ body }) =>
          body?.id === userId ? undefined : "another user answered",
        );
      } else {
        log("      (REQUIRE_VERIFIED_EMAIL is on: the password was checked, no session started)");
      }
    } finally {
      if (userId) {
        await step(`DELETE /users/${userId} as the admin`, `/users/${userId}`, {
          method: "DELETE",
          token: adminToken,
        });
      }
      await step(
        "POST /auth/logout the admin's smoke session",
        "/auth/logout",
        { token: adminToken, json: {} },
        undefined,
        [204],
      );
    }
    await step(
      "POST /auth/login as the deleted user is refused",
      "/auth/login",
      { json: { email: user.email, password: user.password } },
      ({ body }) => (body?.code === "invalid_credentials" ? undefined : `code ${body?.code}`),
      [401],
    );
    log(`Smoke test passed: ${checks} checks.`);
    return 0;
  } catch (error) {
    if (!(error instanceof SmokeFailure)) throw error;
    log(`FAILED  ${error.message}`);
    log(`Smoke test failed after ${checks} checks.`);
    return 1;
  }
}

/** The admin of the environment: SMOKE_ADMIN_EMAIL and _PASSWORD, and a second factor if set. */
export function adminFromEnv(env: NodeJS.ProcessEnv): SmokeOptions["admin"] {
  const { SMOKE_ADMIN_EMAIL: email, SMOKE_ADMIN_PASSWORD: password } = env;
  if (!email || !password) return undefined;
  const { SMOKE_ADMIN_TOTP_SECRET: totpSecret, SMOKE_ADMIN_RECOVERY_CODE: recoveryCode } = env;
  const factor = totpSecret ? { totpSecret } : recoveryCode ? { recoveryCode } : undefined;
  return { email, password, factor };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { "read-only": { type: "boolean", default: false } },
  });
  let [url] = positionals;
  if (!url) {
    url = `http://127.0.0.1:${process.env.PORT || "8787"}`;
    console.log(
      `No URL given: testing the local dev server (npm run dev) at ${url}. For a deployment: npm run smoke -- https://your-worker.example`,
    );
  }
  if (!/^https?:\/\//.test(url)) {
    console.error(
      "usage: SMOKE_ADMIN_EMAIL=... SMOKE_ADMIN_PASSWORD=... [SMOKE_ADMIN_TOTP_SECRET=... | SMOKE_ADMIN_RECOVERY_CODE=...] npm run smoke -- [https://your-worker.example] [--read-only]",
    );
    process.exit(2);
  }
  smoke(url, { readOnly: values["read-only"], admin: adminFromEnv(process.env) }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
