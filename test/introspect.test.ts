// POST /auth/introspect: RFC 7662's answer for a resource server that needs revocation at once.
import { describe, expect, it } from "vitest";
import { setActive, signUp } from "./helpers/factories";
import { accessClaims, decodeJwt, signAccessClaims, signClaims } from "./helpers/jwt";
import { expectLimitedAfter } from "./helpers/rate-limits";
import { logout } from "./helpers/sessions";
import { call, expectProblem, randomIp } from "./helpers/worker";

function introspect(body: unknown, headers?: Record<string, string>) {
  return call("/auth/introspect", { body, headers });
}

async function expectInactive(token: string) {
  const res = await introspect({ token });
  expect(res.status, res.text).toBe(200);
  expect(res.json).toEqual({ active: false });
  expect(res.headers.get("cache-control")).toBe("no-store");
}

describe("POST /auth/introspect", () => {
  it("answers a live access token with whose it is and until when", async () => {
    const session = await signUp();
    const res = await introspect({ token: session.token });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const { payload } = decodeJwt(session.token);
    expect(res.json).toEqual({
      active: true,
      sub: session.id,
      role: "USER",
      sid: payload.sid,
      exp: payload.exp,
      iat: payload.iat,
    });
  });

  it("says inactive, and nothing more, once the session is logged out", async () => {
    const session = await signUp();
    expect((await logout(session.token)).status).toBe(204);
    await expectInactive(session.token);
  });

  it("says inactive once the user is deactivated", async () => {
    const session = await signUp();
    await setActive(session.id, false);
    await expectInactive(session.token);
  });

  it.each<[string, (s: Awaited<ReturnType<typeof signUp>>) => Promise<string> | string]>([
    ["garbage", () => "not-a-token"],
    ["the refresh token", (s) => s.refreshToken],
    ["an HS256 token of JWT_SECRET (what an mfa_token is)", (s) => signClaims(accessClaims(s))],
    [
      "an expired token",
      (s) => {
        const now = Math.floor(Date.now() / 1000);
        return signAccessClaims(accessClaims(s, { iat: now - 1000, exp: now - 100 }));
      },
    ],
    [
      "a well-signed token whose ver is 1.5",
      (s) => signAccessClaims(accessClaims(s, { ver: 1.5 })),
    ],
  ])("says inactive for %s", async (_label, forge) => {
    await expectInactive(await forge(await signUp()));
  });

  it.each([[{}], [{ token: "" }], [{ token: 42 }], [{ token: "x", extra: true }]])(
    "refuses the body %j with 422",
    async (body) => {
      expectProblem(await introspect(body), 422, "validation_failed");
    },
  );

  it("is rate limited per client IP: 429 after 600 a minute", async () => {
    const headers = { "CF-Connecting-IP": randomIp() };
    await expectLimitedAfter(600, () => introspect({ token: "not-a-token" }, headers));
  });
});
