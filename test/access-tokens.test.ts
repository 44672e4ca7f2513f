import { describe, expect, it } from "vitest";
import { generateSigningKey, publicJwk } from "../src/lib/signing-keys";
import { type Session, signUp } from "./helpers/factories";
import {
  accessClaims,
  base64UrlJson,
  decodeJwt,
  signAccessClaims,
  signClaims,
  TEST_SIGNING_KEY,
  tamperedToken,
} from "./helpers/jwt";
import { expectBearerChallenge, me } from "./helpers/sessions";
import { call, expectProblem } from "./helpers/worker";

type Forgery = (session: Session) => Promise<string> | string;

/** The claims of the session's user with some changed, signed as the API would. */
async function bearerWith(session: Session, changes: Record<string, unknown>) {
  return `Bearer ${await signAccessClaims(accessClaims(session, changes))}`;
}

async function bearerWithout(session: Session, claim: "exp" | "sub" | "sid" | "typ" | "ver") {
  const { [claim]: _dropped, ...claims } = accessClaims(session);
  return `Bearer ${await signAccessClaims(claims)}`;
}

/** The session's claims signed by a key the server does not hold, under the kid given. */
async function foreignKey(session: Session, alg: "ES256" | "EdDSA", kid: string) {
  const key = { ...(await generateSigningKey(alg, "current")), kid };
  return `Bearer ${await signAccessClaims(accessClaims(session), key)}`;
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
    "an HS256 token signed with JWT_SECRET (as access tokens were before signing keys)",
    async (s) => `Bearer ${await signClaims(accessClaims(s))}`,
  ],
  [
    "an HS256 token with the current kid, keyed with that key's public JWK (algorithm confusion)",
    async (s) =>
      `Bearer ${await signClaims(accessClaims(s), { kid: TEST_SIGNING_KEY.kid, secret: JSON.stringify(publicJwk(TEST_SIGNING_KEY)) })}`,
  ],
  [
    "an HS512 token signed with JWT_SECRET",
    async (s) => `Bearer ${await signClaims(accessClaims(s), { alg: "HS512" })}`,
  ],
  [
    "an ES256 token of a foreign key under the current kid",
    (s) => foreignKey(s, "ES256", TEST_SIGNING_KEY.kid),
  ],
  [
    "an EdDSA token under the current (ES256) kid",
    (s) => foreignKey(s, "EdDSA", TEST_SIGNING_KEY.kid),
  ],
  ["an ES256 token whose kid is unknown", (s) => foreignKey(s, "ES256", "someone-elses-key")],
  [
    "a token signed by the current key without a kid",
    async (s) =>
      `Bearer ${await signAccessClaims(accessClaims(s), TEST_SIGNING_KEY, { kid: undefined })}`,
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
  ["a well-signed token whose ver is 1.5", (s) => bearerWith(s, { ver: 1.5 })],
  ["a well-signed token whose ver is 1e20", (s) => bearerWith(s, { ver: 1e20 })],
  ["a well-signed token whose ver is a string", (s) => bearerWith(s, { ver: "0" })],
  [
    "a well-signed token whose ver is past Postgres's integer",
    (s) => bearerWith(s, { ver: 2 ** 31 }),
  ],
  ["a token without ver", (s) => bearerWithout(s, "ver")],
  ["a token without typ", (s) => bearerWithout(s, "typ")],
  ["a well-signed token whose role is unknown", (s) => bearerWith(s, { role: "ROOT" })],
  ["a well-signed token whose exp is a string", (s) => bearerWith(s, { exp: "9999999999" })],
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

  it("accepts a token signed with the current key and correct claims", async () => {
    // Proves the forgeries below fail for what they change, not for how the test builds tokens.
    const user = await signUp();
    const res = await me({ authorization: `Bearer ${await signAccessClaims(accessClaims(user))}` });
    expect(res.status, res.text).toBe(200);
    expect(res.json.id).toBe(user.id);
  });

  it("refuses a token it accepted before, once its key is no longer in the set (verified tokens are cached per key set)", async () => {
    const user = await signUp();
    expect((await me(user.token)).status).toBe(200);
    const otherSet = {
      JWT_SIGNING_KEYS: JSON.stringify([await generateSigningKey("ES256", "current")]),
    };
    const res = await call("/users/me", { token: user.token, env: otherSet });
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
