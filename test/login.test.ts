import { describe, expect, it } from "vitest";
import {
  db,
  expectLoginRefused,
  login,
  PASSWORD,
  register,
  registerUser,
  registration,
  setActive,
  USER_KEYS,
  uniqueName,
} from "./helpers/factories";
import { decodeJwt, ISSUER } from "./helpers/jwt";
import { call, expectProblem } from "./helpers/worker";

function withoutRequestId(body: Record<string, unknown>) {
  const { request_id: _ignored, ...rest } = body;
  return rest;
}

/** Registers a user whose password is hashed at bcrypt cost 5, not the tests' 4. */
async function registerAtCost5() {
  const body = registration();
  const res = await register(body, { BCRYPT_COST: "5" });
  expect(res.status, res.text).toBe(201);
  return { body, id: res.json.user.id as string };
}

describe("POST /auth/login", () => {
  it("answers 200 with tokens, the user and Cache-Control: no-store", async () => {
    const user = await registerUser();
    const res = await call("/auth/login", { body: { email: user.email, password: PASSWORD } });
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(
      ["access_token", "expires_in", "refresh_token", "token_type", "user"].sort(),
    );
    expect(res.json.token_type).toBe("Bearer");
    expect(res.json.expires_in).toBe(900);
    expect(res.json.access_token.split(".")).toHaveLength(3);
    expect(res.json.refresh_token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(res.json.refresh_token).not.toBe(res.json.access_token);
    expect(Object.keys(res.json.user).sort()).toEqual(USER_KEYS);
    expect(res.json.user).toEqual(user.user);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.text).not.toContain(PASSWORD);
  });

  it("matches the email case-insensitively", async () => {
    const user = await registerUser({ email: `${uniqueName("Mixed")}@Example.TEST` });
    for (const email of [user.email.toLowerCase(), user.email.toUpperCase(), user.email]) {
      const res = await call("/auth/login", { body: { email, password: PASSWORD } });
      expect(res.status, res.text).toBe(200);
      expect(res.json.user.email).toBe(user.email);
    }
  });

  it("rejects a wrong password with 401", async () => {
    const user = await registerUser();
    const res = await expectLoginRefused(user.email, `${PASSWORD}x`);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("gives unknown email, wrong password and inactive account the same 401", async () => {
    const known = await registerUser();
    const inactive = await registerUser();
    await setActive(inactive.id, false);
    const answers = [
      await expectLoginRefused(`${uniqueName("nobody")}@example.test`, PASSWORD),
      await expectLoginRefused(known.email, "Wrong-Password-77"),
      await expectLoginRefused(inactive.email, PASSWORD),
    ];
    const bodies = answers.map((res) => withoutRequestId(res.json));
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    const challenges = answers.map((res) => res.headers.get("www-authenticate"));
    expect(challenges[0]).toMatch(/^Bearer/);
    expect(new Set(challenges).size).toBe(1);
    expect(new Set(answers.map((res) => res.headers.get("content-type"))).size).toBe(1);
  });

  it("keeps working across a bcrypt cost change in both directions", async () => {
    const { body } = await registerAtCost5();
    // Cost 4 (the test default) upgrades the cost-5 hash on this login, in the background.
    await login(body.email, PASSWORD);
    await login(body.email, PASSWORD);
    await expectLoginRefused(body.email, "Nope-Nope-99");
    const back = await call("/auth/login", {
      body: { email: body.email, password: PASSWORD },
      env: { BCRYPT_COST: "5" },
    });
    expect(back.status, back.text).toBe(200);
    await login(body.email, PASSWORD);
  });

  it("upgrades a hash of another cost on success, not on failure", async () => {
    const { body, id } = await registerAtCost5();
    const costOf = async () => {
      const [row] = await db<{ password_hash: string }>(
        "select password_hash from users where id = $1",
        [id],
      );
      return /^\$2[aby]\$(\d\d)\$/.exec(row?.password_hash ?? "")?.[1];
    };
    expect(await costOf()).toBe("05");
    await expectLoginRefused(body.email, "Nope-Nope-99");
    expect(await costOf()).toBe("05");
    await login(body.email, PASSWORD);
    expect(await costOf()).toBe("04");
  });

  it("issues an ES256 access token with the documented claims", async () => {
    const user = await registerUser();
    const first = await login(user.email, PASSWORD);
    const second = await login(user.email, PASSWORD);
    const { header, payload } = decodeJwt(first.token);
    expect(header.alg).toBe("ES256");
    expect(payload.sub).toBe(user.id);
    expect(payload.role).toBe("USER");
    expect(payload.typ).toBe("access");
    expect(payload.iss).toBe(ISSUER);
    expect(payload.aud).toBe(ISSUER);
    expect(typeof payload.jti).toBe("string");
    expect(payload.jti).not.toBe(decodeJwt(second.token).payload.jti);
    expect(Number.isInteger(payload.iat)).toBe(true);
    expect((payload.exp as number) - (payload.iat as number)).toBe(900);
    expect(JSON.stringify(payload)).not.toContain(PASSWORD);
  });

  it("answers hostile credentials with 401 or 422, never 500", async () => {
    const user = await registerUser();
    const attempts = [
      { email: user.email, password: "' OR '1'='1" },
      { email: user.email, password: "x\u0000y" },
      { email: user.email, password: "x".repeat(1000) },
      { email: "' OR 1=1 --@example.test", password: PASSWORD },
      { email: `nul\u0000${user.email}`, password: PASSWORD },
      { email: `${"x".repeat(10_000)}@example.test`, password: PASSWORD },
      { email: user.email, password: "x".repeat(10_000) },
    ];
    for (const body of attempts) {
      const res = await call("/auth/login", { body });
      expect([401, 422], res.text).toContain(res.status);
      expectProblem(
        res,
        res.status,
        res.status === 401 ? "invalid_credentials" : "validation_failed",
      );
    }
  });
});
