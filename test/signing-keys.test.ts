// Access tokens signed with asymmetric keys: the JWKS, a resource server that verifies them with
// nothing but the JWKS (jose), rotation that signs nobody out, and the key set's configuration.
import { createRemoteJWKSet, customFetch, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import {
  EXAMPLE_SIGNING_KEYS,
  generateSigningKey,
  type SigningAlgorithm,
  type SigningKey,
} from "../src/lib/signing-keys";
import { registerUser, type TestUser } from "./helpers/factories";
import { decodeJwt, ISSUER, signAccessClaims, signClaims, TEST_SIGNING_KEY } from "./helpers/jwt";
import { me } from "./helpers/sessions";
import { call, expectProblem, fetchWorker, testEnv } from "./helpers/worker";

type Env = Record<string, unknown>;

const withKeys = (...keys: SigningKey[]): Env => ({ JWT_SIGNING_KEYS: JSON.stringify(keys) });
const key = (alg: SigningAlgorithm, status: SigningKey["status"]) =>
  generateSigningKey(alg, status);
const as = (signingKey: SigningKey, status: SigningKey["status"]): SigningKey => ({
  ...signingKey,
  status,
});

/** POST /auth/login under the bindings given: the access and refresh token. */
async function loginUnder(env: Env, user: TestUser) {
  const res = await call("/auth/login", {
    body: { email: user.email, password: user.password },
    env,
  });
  expect(res.status, res.text).toBe(200);
  return { token: res.json.access_token as string, refreshToken: res.json.refresh_token as string };
}

function jwksUnder(env: Env = {}) {
  return call("/.well-known/jwks.json", { env });
}

/**
 * A resource server of someone else's: it knows the Worker's JWKS URL, the issuer and the
 * audience, and nothing else (no secret). Its fetch reaches the Worker under `env`.
 */
function resourceServer(env: Env = {}, claims = { issuer: ISSUER, audience: ISSUER }) {
  const jwks = createRemoteJWKSet(new URL("http://localhost/.well-known/jwks.json"), {
    [customFetch]: (url, options) =>
      fetchWorker(url, options as RequestInit, { ...testEnv, ...env }),
  });
  return (token: string) =>
    jwtVerify(token, jwks, { ...claims, algorithms: ["ES256", "EdDSA"], requiredClaims: ["sid"] });
}

describe("GET /.well-known/jwks.json", () => {
  it("publishes the public part of the signing key, cacheable for 10 minutes", async () => {
    const res = await jwksUnder();
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=600");
    const { x, y, kid } = TEST_SIGNING_KEY as SigningKey & { y: string };
    expect(res.json).toEqual({
      keys: [{ kty: "EC", crv: "P-256", x, y, kid, alg: "ES256", use: "sig" }],
    });
    expect(res.text).not.toContain(TEST_SIGNING_KEY.d);
  });

  it("lists current, next and previous keys, the signing key first, and never a private part", async () => {
    const [current, next, previous] = await Promise.all([
      key("ES256", "current"),
      key("EdDSA", "next"),
      key("ES256", "previous"),
    ]);
    const res = await jwksUnder(withKeys(previous, next, current));
    expect(res.status, res.text).toBe(200);
    expect(res.json.keys.map((jwk: { kid: string }) => jwk.kid)).toEqual([
      current.kid,
      next.kid,
      previous.kid,
    ]);
    expect(res.json.keys[1]).toEqual({
      kty: "OKP",
      crv: "Ed25519",
      x: next.x,
      kid: next.kid,
      alg: "EdDSA",
      use: "sig",
    });
    for (const { d } of [current, next, previous]) expect(res.text).not.toContain(d);
  });
});

describe("access tokens", () => {
  it("are ES256 JWTs with the current key's kid in the header", async () => {
    const user = await registerUser();
    const { token } = await loginUnder({}, user);
    expect(decodeJwt(token).header).toEqual({
      alg: "ES256",
      typ: "JWT",
      kid: TEST_SIGNING_KEY.kid,
    });
  });

  it("are EdDSA JWTs when the current key is an Ed25519 key, and work", async () => {
    const env = withKeys(await key("EdDSA", "current"));
    const user = await registerUser();
    const { token } = await loginUnder(env, user);
    expect(decodeJwt(token).header.alg).toBe("EdDSA");
    expect((await me(token, env)).json.id).toBe(user.id);
    expect((await resourceServer(env)(token)).payload.sub).toBe(user.id);
  });

  it("carry the configured JWT_ISSUER and JWT_AUDIENCE, and only tokens of those verify", async () => {
    const env = { JWT_ISSUER: "https://auth.example.test", JWT_AUDIENCE: "orders-api" };
    const user = await registerUser();
    const { token } = await loginUnder(env, user);
    expect(decodeJwt(token).payload).toMatchObject({
      iss: "https://auth.example.test",
      aud: "orders-api",
    });
    expect((await me(token, env)).status).toBe(200);
    expectProblem(await me(token), 401, "invalid_token");
    const verify = resourceServer(env, {
      issuer: "https://auth.example.test",
      audience: "orders-api",
    });
    expect((await verify(token)).payload.sub).toBe(user.id);
  });
});

describe("a resource server with jose and the JWKS alone", () => {
  it("verifies an access token and reads its claims", async () => {
    const user = await registerUser();
    const { token } = await loginUnder({}, user);
    const { payload, protectedHeader } = await resourceServer()(token);
    expect(protectedHeader.kid).toBe(TEST_SIGNING_KEY.kid);
    expect(payload).toMatchObject({ sub: user.id, role: "USER", typ: "access", iss: ISSUER });
  });

  it("refuses what the server's JWT_SECRET signs (an mfa_token-like HS256 token) and a forged key", async () => {
    const user = await registerUser();
    const { token } = await loginUnder({}, user);
    const verify = resourceServer();
    const hs256 = await signClaims(decodeJwt(token).payload);
    await expect(verify(hs256)).rejects.toThrow();
    const foreign = await key("ES256", "current");
    const forged = await signAccessClaims(decodeJwt(token).payload, {
      ...foreign,
      kid: TEST_SIGNING_KEY.kid,
    });
    await expect(verify(forged)).rejects.toThrow();
  });
});

describe("internal tokens", () => {
  const mfaClaims = (userId: string, changes: Record<string, unknown>) => {
    const now = Math.floor(Date.now() / 1000);
    return {
      sub: userId,
      ver: 0,
      typ: "mfa",
      iss: ISSUER,
      aud: ISSUER,
      iat: now,
      exp: now + 200,
      jti: crypto.randomUUID(),
      ...changes,
    };
  };

  it.each([1.5, 1e20, "0", -1, 2 ** 31])(
    "an mfa_token whose ver is %j is 401 invalid_mfa_token",
    async (ver) => {
      const user = await registerUser();
      const mfaToken = await signClaims(mfaClaims(user.id, { ver }));
      const res = await call("/auth/mfa/verify", { body: { mfa_token: mfaToken, code: "123456" } });
      expectProblem(res, 401, "invalid_mfa_token");
    },
  );

  it("an mfa_token is no access token, even signed with the current key's kid", async () => {
    const user = await registerUser();
    const mfaToken = await signClaims(mfaClaims(user.id, {}), { kid: TEST_SIGNING_KEY.kid });
    expectProblem(await me(mfaToken), 401, "invalid_token");
    const asAccess = await signAccessClaims(mfaClaims(user.id, {}));
    expectProblem(await me(asAccess), 401, "invalid_token");
  });
});

describe("rotation without sign-out", () => {
  it("publishes a next key before it signs, keeps the previous key's tokens working, and ends them when it is dropped", async () => {
    const [first, second] = await Promise.all([key("ES256", "current"), key("ES256", "next")]);
    const before = withKeys(first);
    const published = withKeys(first, second);
    const switched = withKeys(as(second, "current"), as(first, "previous"));
    const retired = withKeys(as(second, "current"));
    const user = await registerUser();

    const old = await loginUnder(before, user);
    expect(decodeJwt(old.token).header.kid).toBe(first.kid);

    // Step 1: the next key is in the JWKS, yet the current key still signs.
    const jwks = await jwksUnder(published);
    expect(jwks.json.keys.map((jwk: { kid: string }) => jwk.kid)).toEqual([first.kid, second.kid]);
    const during = await loginUnder(published, user);
    expect(decodeJwt(during.token).header.kid).toBe(first.kid);
    expect((await me(old.token, published)).status).toBe(200);

    // Step 2: the next key signs; tokens of the previous one keep working, here and elsewhere.
    const fresh = await loginUnder(switched, user);
    expect(decodeJwt(fresh.token).header.kid).toBe(second.kid);
    for (const token of [old.token, during.token, fresh.token]) {
      expect((await me(token, switched)).status).toBe(200);
      expect((await resourceServer(switched)(token)).payload.sub).toBe(user.id);
    }
    // An instance still on step 1 already accepts what the new key signs.
    expect((await me(fresh.token, published)).status).toBe(200);
    // Refresh tokens are opaque: a session from before the rotation refreshes under the new key.
    const refreshed = await call("/auth/refresh", {
      body: { refresh_token: old.refreshToken },
      env: switched,
    });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(decodeJwt(refreshed.json.access_token).header.kid).toBe(second.kid);

    // Step 3: the previous key is dropped, and with it the tokens it signed.
    expectProblem(await me(during.token, retired), 401, "invalid_token");
    await expect(resourceServer(retired)(during.token)).rejects.toThrow();
    expect((await me(fresh.token, retired)).status).toBe(200);
  });

  it("refuses a token whose kid is no key of the set, with 401", async () => {
    const user = await registerUser();
    const { token } = await loginUnder(withKeys(await key("ES256", "current")), user);
    expectProblem(await me(token), 401, "invalid_token");
  });
});

describe("JWT_SIGNING_KEYS", () => {
  const configurationError = async (value: unknown) => {
    const res = await call("/health", { env: { JWT_SIGNING_KEYS: value } });
    return expectProblem(res, 500, "configuration_error").detail;
  };

  it("is required", async () => {
    expect(await configurationError(undefined)).toContain("JWT_SIGNING_KEYS");
  });

  it.each<[string, (keys: SigningKey[]) => unknown]>([
    ["not JSON", () => "[{not json"],
    ["not an array", ([a]) => JSON.stringify(a)],
    ["empty", () => "[]"],
    ["without a current key", ([a]) => JSON.stringify([as(a as SigningKey, "next")])],
    ["with two current keys", ([a, b]) => JSON.stringify([a, b])],
    [
      "with a kid twice",
      ([a, b]) => JSON.stringify([a, { ...(b as SigningKey), kid: a?.kid, status: "next" }]),
    ],
    ["with a key without its private part", ([a]) => JSON.stringify([{ ...a, d: undefined }])],
    [
      "with an HS256 key",
      () =>
        JSON.stringify([{ kid: "h", status: "current", alg: "HS256", kty: "oct", k: "c2VjcmV0" }]),
    ],
    ["with an unknown status", ([a]) => JSON.stringify([{ ...a, status: "retired" }])],
  ])("is refused when %s, without quoting it", async (_label, value) => {
    const keys = await Promise.all([key("ES256", "current"), key("ES256", "current")]);
    const text = value(keys) as string;
    const detail = await configurationError(text);
    expect(detail).toContain("JWT_SIGNING_KEYS");
    for (const { d } of keys) expect(detail).not.toContain(d);
  });

  it("with a private part that does not match its public part is a configuration error, not a crash", async () => {
    const [a, b] = await Promise.all([key("ES256", "current"), key("ES256", "current")]);
    const env = withKeys({ ...a, d: b.d });
    const user = await registerUser();
    const res = await call("/auth/login", {
      body: { email: user.email, password: user.password },
      env,
    });
    const problem = expectProblem(res, 500, "configuration_error");
    expect(problem.detail).toContain(a.kid);
    expect(problem.detail).not.toContain(b.d);
    expectProblem(
      await me(await loginUnder({}, user).then((s) => s.token), env),
      500,
      "configuration_error",
    );
  });

  it("is the example set in the tests' configuration", () => {
    expect(JSON.parse(testEnv.JWT_SIGNING_KEYS as string)).toEqual(EXAMPLE_SIGNING_KEYS);
  });
});
