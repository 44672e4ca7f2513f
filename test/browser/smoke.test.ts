// `npm run smoke` against a running server, the way it is run after a deploy.
import { randomBytes } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { smoke } from "../../scripts/smoke.ts";

const baseUrl = inject("baseUrl");
const adminKey = inject("adminKey");

describe("npm run smoke", () => {
  it("passes against the dev server with admin credentials, and deletes its user", async () => {
    const tag = randomBytes(4).toString("hex");
    const admin = { email: `smoke-admin-${tag}@example.com`, password: "Violet-Lantern-Orbit-42" };
    const registered = await fetch(`${baseUrl}/auth/register`, {
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
    expect(registered.status).toBe(201);

    const lines: string[] = [];
    const code = await smoke(baseUrl, { admin, log: (line) => lines.push(line) });
    expect(code, lines.join("\n")).toBe(0);
    expect(lines.at(-1)).toBe("Smoke test passed: 12 checks.");
    expect(lines.join("\n")).toContain("GET /.well-known/jwks.json: the public signing keys (200");
    expect(lines.join("\n")).toContain("POST /auth/introspect its access token (200");
    expect(lines.join("\n")).toContain("POST /auth/login as the deleted user is refused (401");
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
