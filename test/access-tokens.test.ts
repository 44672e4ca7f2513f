import { describe, expect, it } from "vitest";
import { type Session, signUp } from "./helpers/factories";
import { accessClaims, base64UrlJson, decodeJwt, signClaims, tamperedToken } from "./helpers/jwt";
import { expectBearerChallenge, me } from "./helpers/sessions";
import { call, expectProblem } from "./helpers/worker";

type Forgery = (session: Session) => Promise<string> | string;

/** The claims of the session's user with some changed, signed as the API would. */
async function bearerWith(session: Session, changes: Record<string, unknown>) {
  return `Bearer ${await signClaims(accessClaims(session, changes))}`;
}

async function bearerWithout(session: Session, claim: "exp" | "sub" | "sid") {
  const { [claim]: _dropped, ...claims } = accessClaims(session);
  return `Bearer ${await signClaims(claims)}`;
}

function unsigned(session: Session, signature: string) {
  const header = base64UrlJson({ alg: "none", typ: "JWT" });
  return `Bearer ${header}.${base64UrlJson(accessClaims(session))}.${signature}`;
}

const forgeries: [string, Forgery][] = [
  ["a Basic credential", () => "Basic dXNlcjpwYXNz"],
  ["a garbage header", () => "garbage"],
  ["a garbage bearer token", () => "Bearer not.a.jwt"],
  ["an empty bearer token", () => "Bearer "],
  ["an unsigned alg none token", (s) => unsigned(s, "")],
  ["an alg none token with a signature segment", (s) => unsigned(s, "c2ln")],
  [
    "an HS512 token signed with the right secret",
    async (s) => `Bearer ${await signClaims(accessClaims(s), { alg: "HS512" })}`,
  ],
  [
    "an HS256 token signed with a wrong key",
    async (s) =>
      `Bearer ${await signClaims(accessClaims(s), { secret: "a-completely-different-secret-0123456789" })}`,
  ],
  ["a token without exp", (s) => bearerWithout(s, "exp")],
  ["a token without sub", (s) => bearerWithout(s, "sub")],
  ["a token without sid (bound to no session)", (s) => bearerWithout(s, "sid")],
  [
    "an expired token",
    (s) => {
      const now = Math.floor(Date.now() / 1000);
      return bearerWith(s, { iat: now - 1000, exp: now - 100 });
    },
  ],
  ["a token with the wrong issuer", (s) => bearerWith(s, { iss: "someone-else" })],
  ["a token with the wrong audience", (s) => bearerWith(s, { aud: "someone-else" })],
  ["a token of another type", (s) => bearerWith(s, { typ: "refresh" })],
  ["a token from before the user's token version moved", (s) => bearerWith(s, { ver: -1 })],
  ["a token for a session that does not exist", (s) => bearerWith(s, { sid: crypto.randomUUID() })],
  ["a correctly signed token whose sub is not a UUID", (s) => bearerWith(s, { sub: "1" })],
  ["a correctly signed token whose sid is not a UUID", (s) => bearerWith(s, { sid: "session-1" })],
  [
    "a real token whose payload was changed to role ADMIN",
    (s) => {
      expect(decodeJwt(s.token).payload.role).toBe("USER");
      return `Bearer ${tamperedToken(s.token, { role: "ADMIN" })}`;
    },
  ],
  ["the refresh token", (s) => `Bearer ${s.refreshToken}`],
  ["the bare refresh token", (s) => s.refreshToken],
  ["a token naming a user that does not exist", (s) => bearerWith(s, { sub: crypto.randomUUID() })],
];

describe("GET /users/me", () => {
  it("without an Authorization header is 401 with a Bearer challenge", async () => {
    const res = await call("/users/me");
    expectProblem(res, 401, "unauthorized");
    expectBearerChallenge(res);
  });

  it("accepts the access token as Bearer (any case) and bare", async () => {
    const session = await signUp();
    for (const authorization of [
      `Bearer ${session.token}`,
      `bearer ${session.token}`,
      session.token,
    ]) {
      const res = await me({ authorization });
      expect(res.status, res.text).toBe(200);
      expect(res.json.id).toBe(session.id);
    }
  });

  it("accepts a token signed with the right secret and correct claims", async () => {
    // Proves the forgeries below fail for what they change, not for how the test builds tokens.
    const user = await signUp();
    const res = await me({ authorization: `Bearer ${await signClaims(accessClaims(user))}` });
    expect(res.status, res.text).toBe(200);
    expect(res.json.id).toBe(user.id);
  });

  it("refuses a token it accepted before, once the secret is another (verified tokens are cached per secret)", async () => {
    const user = await signUp();
    expect((await me(user.token)).status).toBe(200);
    const rotated = { JWT_SECRET: "another-secret-another-secret-another-secret" };
    const res = await call("/users/me", { token: user.token, env: rotated });
    expectProblem(res, 401, "invalid_token");
    expect((await me(user.token)).status).toBe(200);
  });

  it.each(forgeries)("refuses %s with 401 and a Bearer challenge", async (_label, forge) => {
    const session = await signUp();
    const res = await me({ authorization: await forge(session) });
    expectProblem(res, 401, "invalid_token");
    expectBearerChallenge(res);
    expect(res.text).not.toContain(session.email);
    // The genuine token of the same user still works: the refusal was about the forgery.
    expect((await me(session.token)).status).toBe(200);
  });
});

describe("GET /users", () => {
  it("as a USER with a payload changed to role ADMIN is 401, not admin access", async () => {
    const session = await signUp();
    const res = await call("/users", { token: tamperedToken(session.token, { role: "ADMIN" }) });
    expectProblem(res, 401, "invalid_token");
  });
});
