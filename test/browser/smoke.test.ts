// `npm run smoke` against a running server, the way it is run after a deploy.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, inject, it } from "vitest";
import { smoke } from "../../scripts/smoke.ts";
import { totpCode, totpStep } from "../../src/lib/totp.ts";

const baseUrl = inject("baseUrl");
const adminKey = inject("adminKey");

describe("npm run smoke", () => {
  it("passes against the dev server with admin credentials, and deletes its user", async () => {
    const tag = randomBytes(4).toString("hex");
    const admin = { email: `smoke-admin-${tag}@example.com`, password: "Violet-Lantern-Orbit-42" };
    const register = () =>
      fetch(`${baseUrl}/auth/register`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          ...admin,
          username: `smoke_admin_${tag}`,
          first_name: "Smoke",
          last_name: "Admin",
          secret_admin_key: adminKey,
        }),
      });
    let registered = await register();
    // The files before this one register users too, and REGISTER_LIMITER allows 5 a minute per
    // client: when their window is full, wait it out as a client would.
    if (registered.status === 429) {
      await sleep((Number(registered.headers.get("Retry-After") ?? 60) + 1) * 1000);
      registered = await register();
    }
    expect(registered.status).toBe(201);

    let lines: string[] = [];
    const run = async () => {
      lines = [];
      return smoke(baseUrl, { admin, log: (line) => lines.push(line) });
    };
    let code = await run();
    // The smoke test registers a throwaway user of its own: when the admin's registration just
    // above took the window's last place, it is refused with 429 before it creates anything, and
    // runs again in a fresh window (REGISTER_LIMITER counts in fixed one-minute windows).
    if (
      code !== 0 &&
      lines.some((line) => line.includes("/auth/register") && line.includes("answered 429"))
    ) {
      await sleep(61_000 - (Date.now() % 60_000));
      code = await run();
    }
    expect(code, lines.join("\n")).toBe(0);
    expect(lines.at(-1)).toBe("Smoke test passed: 12 checks.");
    expect(lines.join("\n")).toContain("GET /.well-known/jwks.json: the public signing keys (200");
    expect(lines.join("\n")).toContain("POST /auth/introspect its access token (200");
    expect(lines.join("\n")).toContain("POST /auth/login as the deleted user is refused (401");
  });

  it("logs in as an admin with two-factor login on, with its TOTP secret or a recovery code", async () => {
    // This test logs in eight times, and the files before it log in too: LOGIN_LIMITER allows 10
    // a minute per client, counted in fixed one-minute windows, so it starts in a fresh one.
    await sleep(61_000 - (Date.now() % 60_000));
    const tag = randomBytes(4).toString("hex");
    const admin = { email: `smoke-mfa-${tag}@example.com`, password: "Violet-Lantern-Orbit-42" };
    const post = async (path: string, body: unknown, token?: string) => {
      const response = await fetch(`${baseUrl}${path}`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      // biome-ignore lint/suspicious/noExplicitAny: answers of every shape.
      return { status: response.status, body: (await response.json()) as any };
    };
    const registered = await post("/auth/register", {
      ...admin,
      username: `smoke_mfa_${tag}`,
      first_name: "Smoke",
      last_name: "Admin",
      secret_admin_key: adminKey,
    });
    expect(registered.status).toBe(201);
    const token = (await post("/auth/login", admin)).body.access_token;
    const setup = await post("/auth/mfa/totp/setup", { current_password: admin.password }, token);
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    const totpSecret: string = setup.body.secret;
    // The previous step's code (within the drift), so the smoke test's current code is no replay.
    const step = totpStep(Date.now() / 1000) - 1;
    const enabled = await post(
      "/auth/mfa/totp/enable",
      { code: totpCode(totpSecret, step) },
      token,
    );
    expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);

    const without: string[] = [];
    expect(await smoke(baseUrl, { admin, log: (line) => without.push(line) })).toBe(1);
    expect(without.join("\n")).toContain("the admin has two-factor login on");
    expect(without.join("\n")).not.toContain("not an ADMIN");

    const lines: string[] = [];
    const code = await smoke(baseUrl, {
      admin: { ...admin, factor: { totpSecret } },
      log: (line) => lines.push(line),
    });
    expect(code, lines.join("\n")).toBe(0);
    expect(lines.join("\n")).toContain("POST /auth/mfa/verify the admin's TOTP code (200");

    const withRecovery: string[] = [];
    const recoveryCode: string = enabled.body.recovery_codes[0];
    const recovered = await smoke(baseUrl, {
      admin: { ...admin, factor: { recoveryCode } },
      log: (line) => withRecovery.push(line),
    });
    expect(recovered, withRecovery.join("\n")).toBe(0);
    expect(withRecovery.join("\n")).toContain("a recovery code was spent: 9 left");
  });

  it("refuses to write without admin credentials, after the read-only checks", async () => {
    const lines: string[] = [];
    expect(await smoke(baseUrl, { log: (line) => lines.push(line) })).toBe(1);
    expect(lines.join("\n")).toContain("set SMOKE_ADMIN_EMAIL and SMOKE_ADMIN_PASSWORD");
    expect(await smoke(baseUrl, { readOnly: true, log: () => {} })).toBe(0);
  });

  it("fails on a server that is not there", async () => {
    const lines: string[] = [];
    expect(await smoke("http://127.0.0.1:9", { readOnly: true, log: (l) => lines.push(l) })).toBe(
      1,
    );
    expect(lines.join("\n")).toContain("FAILED  GET /health/ready");
  });
});
