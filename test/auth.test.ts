import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import {
  ADMIN_KEY,
  db,
  login,
  PASSWORD,
  registerUser,
  setActive,
  signUp,
  USER_KEYS,
  uniqueName,
} from "./helpers/factories";
import { call, expectProblem, testEnv } from "./helpers/worker";

type Response = Awaited<ReturnType<typeof call>>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const ISSUER = "user-management-api";
const DB_DOWN = { NEON_FETCH_ENDPOINT: "http://127.0.0.1:9/sql" };

function registration(overrides: Record<string, unknown> = {}): Record<string, unknown> & {
  username: string;
  email: string;
} {
  const username = uniqueName();
  return {
    username,
    email: `${username}@example.test`,
    first_name: "Test",
    last_name: "User",
    password: PASSWORD,
    ...overrides,
  };
}

/** A client IP of its own, so a rate limit test counts only its own requests. */
function freshIp() {
  const [a, b, c] = crypto.getRandomValues(new Uint8Array(3));
  return `172.${16 + ((a ?? 0) % 16)}.${b}.${c}`;
}

function base64UrlJson(value: unknown) {
  return btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeSegment(segment: string): Record<string, unknown> {
  const base64 = segment.replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")));
}

function decodeJwt(token: string) {
  const [header = "", payload = ""] = token.split(".");
  return { header: decodeSegment(header), payload: decodeSegment(payload) };
}

/** Claims like the API's own access tokens, for the user named. */
function accessClaims(user: { id: string; role: string }, overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: user.id,
    role: user.role,
    ver: 0,
    typ: "access",
    iss: ISSUER,
    aud: ISSUER,
    iat: now,
    exp: now + 900,
    jti: crypto.randomUUID(),
    ...overrides,
  };
}

const jwtSecret = () => testEnv.JWT_SECRET as string;

function me(authorization: string) {
  return call("/users/me", { headers: { Authorization: authorization } });
}

function expectBearerChallenge(res: Response) {
  expect(res.status, res.text).toBe(401);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
}

function withoutRequestId(body: Record<string, unknown>) {
  const { request_id: _ignored, ...rest } = body;
  return rest;
}

/**
 * Sends `limit` requests that must pass, then expects the next one to be refused with 429. The
 * limiter's windows are aligned to the wall clock: only if one rolled over during the run may the
 * refusal come later, after at most `limit` more requests in the new window.
 */
async function expectLimitedAfter(limit: number, attempt: (i: number) => Promise<Response>) {
  const windowOf = () => Math.floor(Date.now() / 60_000);
  const started = windowOf();
  for (let i = 0; i < limit; i++) {
    const res = await attempt(i);
    expect(res.status, res.text).not.toBe(429);
  }
  let res = await attempt(limit);
  if (res.status !== 429 && windowOf() !== started) {
    for (let i = 1; i <= limit && res.status !== 429; i++) res = await attempt(limit + i);
  }
  expectProblem(res, 429, "rate_limited");
  expect(res.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
  return res;
}

describe("POST /auth/register", () => {
  it("POST /auth/register creates a USER with 201, Location and only public fields", async () => {
    const body = registration({ first_name: "Ada", last_name: "Lovelace" });
    const res = await call("/auth/register", { body });
    expect(res.status, res.text).toBe(201);
    expect(Object.keys(res.json).sort()).toEqual(["message", "user"]);
    expect(res.json.message).toBe("User registered successfully");
    const user = res.json.user;
    expect(Object.keys(user).sort()).toEqual(USER_KEYS);
    expect(user).toMatchObject({
      username: body.username,
      email: body.email,
      first_name: "Ada",
      last_name: "Lovelace",
      role: "USER",
      active: true,
    });
    expect(user.id).toMatch(UUID);
    expect(user.created_at).toMatch(ISO_UTC);
    expect(user.updated_at).toMatch(ISO_UTC);
    expect(res.headers.get("location")).toBe(`/users/${user.id}`);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.text).not.toContain(PASSWORD);
    expect(res.text).not.toMatch(/\$2[aby]\$/);
  });

  it("POST /auth/register makes an ADMIN when secret_admin_key matches", async () => {
    const res = await call("/auth/register", {
      body: registration({ secret_admin_key: ADMIN_KEY }),
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.role).toBe("ADMIN");
    expect(Object.keys(res.json.user).sort()).toEqual(USER_KEYS);
  });

  it.each([
    ["a wrong key", "wrong-admin-key"],
    ["a prefix of the key", ADMIN_KEY.slice(0, -1)],
    ["an empty key", ""],
  ])(
    "POST /auth/register refuses %s with 403 invalid_admin_key and creates nobody",
    async (_label, key) => {
      const body = registration({ secret_admin_key: key });
      const refused = await call("/auth/register", { body });
      expectProblem(refused, 403, "invalid_admin_key");
      const denied = await call("/auth/login", { body: { email: body.email, password: PASSWORD } });
      expectProblem(denied, 401, "invalid_credentials");
      const { secret_admin_key: _key, ...withoutKey } = body;
      const retried = await call("/auth/register", { body: withoutKey });
      expect(retried.status, retried.text).toBe(201);
      expect(retried.json.user.role).toBe("USER");
    },
  );

  it("POST /auth/register refuses every admin key with 403 while SECRET_ADMIN_KEY is unset", async () => {
    const env = { SECRET_ADMIN_KEY: undefined };
    for (const key of [ADMIN_KEY, "", "undefined", "null"]) {
      const res = await call("/auth/register", {
        body: registration({ secret_admin_key: key }),
        env,
      });
      expectProblem(res, 403, "invalid_admin_key");
    }
    const plain = await call("/auth/register", { body: registration(), env });
    expect(plain.status, plain.text).toBe(201);
    expect(plain.json.user.role).toBe("USER");
  });

  it("POST /auth/register reads the legacy SECRETE_ADMIN_KEY when SECRET_ADMIN_KEY is unset", async () => {
    const env = { SECRET_ADMIN_KEY: undefined, SECRETE_ADMIN_KEY: "legacy-admin-key" };
    const admin = await call("/auth/register", {
      body: registration({ secret_admin_key: "legacy-admin-key" }),
      env,
    });
    expect(admin.status, admin.text).toBe(201);
    expect(admin.json.user.role).toBe("ADMIN");
    const wrong = await call("/auth/register", {
      body: registration({ secret_admin_key: ADMIN_KEY }),
      env,
    });
    expectProblem(wrong, 403, "invalid_admin_key");
  });

  it("POST /auth/register prefers SECRET_ADMIN_KEY over the legacy spelling", async () => {
    const env = { SECRETE_ADMIN_KEY: "legacy-admin-key" };
    const legacy = await call("/auth/register", {
      body: registration({ secret_admin_key: "legacy-admin-key" }),
      env,
    });
    expectProblem(legacy, 403, "invalid_admin_key");
    const current = await call("/auth/register", {
      body: registration({ secret_admin_key: ADMIN_KEY }),
      env,
    });
    expect(current.status, current.text).toBe(201);
    expect(current.json.user.role).toBe("ADMIN");
  });

  it.each([
    ["role", "ADMIN"],
    ["active", false],
    ["id", "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70"],
    ["created_at", "2020-01-01T00:00:00.000Z"],
    ["updated_at", "2020-01-01T00:00:00.000Z"],
    ["password_hash", "$2a$04$abcdefghijklmnopqrstuuxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"],
  ])(
    "POST /auth/register refuses mass assignment of %s with 422 naming the field",
    async (field, value) => {
      const body = registration({ [field]: value });
      const res = await call("/auth/register", { body });
      const problem = expectProblem(res, 422, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toContain(field);
      const denied = await call("/auth/login", { body: { email: body.email, password: PASSWORD } });
      expectProblem(denied, 401, "invalid_credentials");
    },
  );

  it.each([
    ["an invalid email", { email: "not-an-email" }, "email"],
    ["an email without a domain dot", { email: "someone@localhost" }, "email"],
    ["an email with two @", { email: "a@@example.test" }, "email"],
    [
      "an email over 254 characters",
      { email: `${"a".repeat(64)}@${"b".repeat(190)}.test` },
      "email",
    ],
    ["a 2-character username", { username: "ab" }, "username"],
    ["a 33-character username", { username: "a".repeat(33) }, "username"],
    ["a username with a space", { username: "bad name" }, "username"],
    ["a username with a slash", { username: "bad/name" }, "username"],
    ["a username with a non-ASCII letter", { username: "ålice_x" }, "username"],
    ["a first name that is blank after trimming", { first_name: "   " }, "first_name"],
    ["an empty last name", { last_name: "" }, "last_name"],
    ["a 101-character first name", { first_name: "x".repeat(101) }, "first_name"],
    ["a number for username", { username: 12345 }, "username"],
    ["a number for email", { email: 42 }, "email"],
    ["an object for first_name", { first_name: { value: "x" } }, "first_name"],
    ["a boolean for password", { password: true }, "password"],
    ["null for last_name", { last_name: null }, "last_name"],
    ["a missing password", { password: undefined }, "password"],
    ["a 7-character password", { password: "Vx7-kq2" }, "password"],
  ])(
    "POST /auth/register refuses %s with 422 naming the field",
    async (_label, overrides, field) => {
      const res = await call("/auth/register", { body: registration(overrides) });
      const problem = expectProblem(res, 422, "validation_failed");
      expect(problem.errors?.map((e) => e.path)).toContain(field);
    },
  );

  it.each([
    ["an array", []],
    ["null", null],
    ["a string", "hello"],
    ["a number", 7],
    ["an empty object", {}],
  ])("POST /auth/register refuses %s as the body with 422 and errors[]", async (_label, body) => {
    const res = await call("/auth/register", {
      rawBody: JSON.stringify(body),
      headers: { "Content-Type": "application/json" },
      method: "POST",
    });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors?.length).toBeGreaterThan(0);
  });

  it("POST /auth/register accepts usernames of exactly 3 and 32 characters", async () => {
    const short = crypto.randomUUID().replaceAll("-", "").slice(0, 3).replace(/^\d/, "u");
    const long = `u${crypto.randomUUID().replaceAll("-", "")}`.slice(0, 32);
    for (const username of [short, long]) {
      const res = await call("/auth/register", {
        body: registration({ username, email: `${uniqueName()}@example.test` }),
      });
      expect(res.status, res.text).toBe(201);
      expect(res.json.user.username).toBe(username);
    }
  });

  it("POST /auth/register trims names", async () => {
    const res = await call("/auth/register", {
      body: registration({ first_name: "  Ada \t", last_name: "\n Lovelace  " }),
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.first_name).toBe("Ada");
    expect(res.json.user.last_name).toBe("Lovelace");
  });

  it("POST /auth/register accepts names of 100 characters outside the Basic Multilingual Plane", async () => {
    const name = "🚀".repeat(100);
    expect([...name]).toHaveLength(100);
    const res = await call("/auth/register", { body: registration({ first_name: name }) });
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.first_name).toBe(name);
    const tooLong = await call("/auth/register", {
      body: registration({ first_name: "🚀".repeat(101) }),
    });
    expect(expectProblem(tooLong, 422, "validation_failed").errors?.[0]?.path).toBe("first_name");
  });

  it("POST /auth/register refuses a password of 4 characters that are 8 UTF-16 code units with 422", async () => {
    const password = "🚀🐙🌵🎻";
    expect([...password]).toHaveLength(4);
    const res = await call("/auth/register", { body: registration({ password }) });
    expect(expectProblem(res, 422, "validation_failed").errors?.[0]?.path).toBe("password");
  });

  it("POST /auth/register refuses a password of 40 'é' (80 UTF-8 bytes) with 422 password_too_long", async () => {
    const password = "é".repeat(40);
    expect(password.length).toBe(40);
    const body = registration({ password });
    const problem = expectProblem(await call("/auth/register", { body }), 422, "password_too_long");
    expect(problem.errors?.[0]?.path).toBe("password");
    const denied = await call("/auth/login", { body: { email: body.email, password } });
    expectProblem(denied, 401, "invalid_credentials");
  });

  it("POST /auth/register refuses a 73-byte ASCII password with 422 password_too_long", async () => {
    const res = await call("/auth/register", {
      body: registration({ password: `Zq7-${"k".repeat(69)}` }),
    });
    expectProblem(res, 422, "password_too_long");
  });

  it("POST /auth/register accepts a 72-byte password and never truncates it", async () => {
    const password = `Zq7-${"é".repeat(34)}`;
    expect(new TextEncoder().encode(password).length).toBe(72);
    const body = registration({ password });
    const res = await call("/auth/register", { body });
    expect(res.status, res.text).toBe(201);
    await login(body.email, password);
    const shorter = await call("/auth/login", {
      body: { email: body.email, password: password.slice(0, -1) },
    });
    expectProblem(shorter, 401, "invalid_credentials");
  });

  it.each(["password123", "PASSWORD123", "iloveyou1", "qwerty123"])(
    "POST /auth/register refuses the common password %s with 422 weak_password",
    async (password) => {
      const problem = expectProblem(
        await call("/auth/register", { body: registration({ password }) }),
        422,
        "weak_password",
      );
      expect(problem.errors?.[0]?.path).toBe("password");
    },
  );

  it("POST /auth/register refuses a password containing the username with 422 weak_password", async () => {
    const body = registration();
    const res = await call("/auth/register", {
      body: { ...body, password: `X9!${body.username.toUpperCase()}!` },
    });
    const problem = expectProblem(res, 422, "weak_password");
    expect(problem.errors?.[0]?.path).toBe("password");
  });

  it("POST /auth/register refuses an email taken in another case with 409 naming email", async () => {
    const first = await registerUser({ email: `${uniqueName("Case")}@Example.test` });
    const res = await call("/auth/register", {
      body: registration({ email: first.email.toLowerCase() }),
    });
    const problem = expectProblem(res, 409, "conflict");
    expect(problem.errors?.[0]?.path).toBe("email");
    const upper = await call("/auth/register", {
      body: registration({ email: first.email.toUpperCase() }),
    });
    expect(expectProblem(upper, 409, "conflict").errors?.[0]?.path).toBe("email");
  });

  it("POST /auth/register refuses a username taken in another case with 409 naming username", async () => {
    const first = await registerUser({ username: uniqueName("MixedCase") });
    const res = await call("/auth/register", {
      body: registration({ username: first.username.toLowerCase() }),
    });
    const problem = expectProblem(res, 409, "conflict");
    expect(problem.errors?.[0]?.path).toBe("username");
  });

  it("POST /auth/register creates exactly one user from concurrent registrations of one email", async () => {
    // Five, the per-account registration limit of wrangler.toml: more would be 429s, not 409s.
    const email = `${uniqueName("race")}@example.test`;
    const bodies = Array.from({ length: 5 }, () => registration({ email }));
    const results = await Promise.all(bodies.map((body) => call("/auth/register", { body })));
    const created = results.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    for (const res of results.filter((r) => r.status !== 201)) {
      expect(expectProblem(res, 409, "conflict").errors?.[0]?.path).toBe("email");
    }
    const session = await call("/auth/login", { body: { email, password: PASSWORD } });
    expect(session.status, session.text).toBe(200);
    expect(session.json.user.id).toBe(created[0]?.json.user.id);
  });

  it("POST /auth/register creates exactly one user from concurrent registrations of one username", async () => {
    const username = uniqueName("race");
    const bodies = Array.from({ length: 8 }, () =>
      registration({ username, email: `${uniqueName()}@example.test` }),
    );
    const results = await Promise.all(bodies.map((body) => call("/auth/register", { body })));
    const created = results.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    for (const res of results.filter((r) => r.status !== 201)) {
      expect(expectProblem(res, 409, "conflict").errors?.[0]?.path).toBe("username");
    }
    const winner = bodies.find((b) => b.email === created[0]?.json.user.email);
    expect(winner).toBeDefined();
    await login(winner?.email ?? "", PASSWORD);
  });
});

describe("POST /auth/register with hostile input", () => {
  it("POST /auth/register stores SQL metacharacters in names verbatim", async () => {
    const hostile = "'; drop table users; --";
    const body = registration({ first_name: hostile, last_name: `Robert"); DELETE FROM users;--` });
    const res = await call("/auth/register", { body });
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.first_name).toBe(hostile);
    expect(res.json.user.last_name).toBe(`Robert"); DELETE FROM users;--`);
    const session = await login(body.email, PASSWORD);
    const self = await call("/users/me", { token: session.token });
    expect(self.json.first_name).toBe(hostile);
    await login((await registerUser()).email, PASSWORD);
  });

  it("POST /auth/register accepts an apostrophe in the email and logs it in", async () => {
    const email = `o'hara_${uniqueName()}@example.test`;
    const res = await call("/auth/register", { body: registration({ email }) });
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.email).toBe(email);
    await login(email, PASSWORD);
  });

  it.each([
    ["username", "x'; drop table users; --"],
    ["username", "nul\u0000user"],
    ["email", "nul\u0000user@example.test"],
    ["first_name", "Nul\u0000Byte"],
    ["last_name", "Nul\u0000Byte"],
    ["username", "x".repeat(10_000)],
    ["email", `${"x".repeat(10_000)}@example.test`],
    ["first_name", "x".repeat(10_000)],
    ["last_name", "x".repeat(10_000)],
    ["password", "x".repeat(10_000)],
    ["username", "rocket_🚀"],
  ])("POST /auth/register refuses a hostile %s with 422, never 500 (%#)", async (field, value) => {
    const res = await call("/auth/register", { body: registration({ [field]: value }) });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors?.map((e) => e.path)).toContain(field);
  });

  it("POST /auth/register takes a NUL byte in the password whole, or refuses it, never 500", async () => {
    const password = "Violet-Lantern\u0000Orbit-42";
    const body = registration({ password });
    const res = await call("/auth/register", { body });
    if (res.status === 201) {
      await login(body.email, password);
      const cut = await call("/auth/login", {
        body: { email: body.email, password: "Violet-Lantern" },
      });
      expectProblem(cut, 401, "invalid_credentials");
      const other = await call("/auth/login", {
        body: { email: body.email, password: "Violet-Lantern\u0000Other-99" },
      });
      expectProblem(other, 401, "invalid_credentials");
    } else {
      expectProblem(res, 422, "validation_failed");
    }
  });

  it("POST /auth/register keeps emoji in names and passwords intact", async () => {
    const password = "Ünïcødé-🚀-Pässwörd";
    const body = registration({ first_name: "Zoë 🚀", last_name: "Ñoño 👩‍💻", password });
    const res = await call("/auth/register", { body });
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.first_name).toBe("Zoë 🚀");
    expect(res.json.user.last_name).toBe("Ñoño 👩‍💻");
    await login(body.email, password);
  });

  it("POST /auth/login answers hostile credentials with 401 or 422, never 500", async () => {
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

describe("POST /auth/login", () => {
  it("POST /auth/login answers 200 with tokens, the user and Cache-Control: no-store", async () => {
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

  it("POST /auth/login matches the email case-insensitively", async () => {
    const user = await registerUser({ email: `${uniqueName("Mixed")}@Example.TEST` });
    for (const email of [user.email.toLowerCase(), user.email.toUpperCase(), user.email]) {
      const res = await call("/auth/login", { body: { email, password: PASSWORD } });
      expect(res.status, res.text).toBe(200);
      expect(res.json.user.email).toBe(user.email);
    }
  });

  it("POST /auth/login rejects a wrong password with 401", async () => {
    const user = await registerUser();
    const res = await call("/auth/login", {
      body: { email: user.email, password: `${PASSWORD}x` },
    });
    expectProblem(res, 401, "invalid_credentials");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("POST /auth/login gives unknown email, wrong password and inactive account the same 401", async () => {
    const known = await registerUser();
    const inactive = await registerUser();
    await setActive(inactive.id, false);
    const answers = [
      await call("/auth/login", {
        body: { email: `${uniqueName("nobody")}@example.test`, password: PASSWORD },
      }),
      await call("/auth/login", { body: { email: known.email, password: "Wrong-Password-77" } }),
      await call("/auth/login", { body: { email: inactive.email, password: PASSWORD } }),
    ];
    const bodies = answers.map((res) =>
      withoutRequestId(expectProblem(res, 401, "invalid_credentials")),
    );
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    const challenges = answers.map((res) => res.headers.get("www-authenticate"));
    expect(challenges[0]).toMatch(/^Bearer/);
    expect(new Set(challenges).size).toBe(1);
    expect(new Set(answers.map((res) => res.headers.get("content-type"))).size).toBe(1);
  });

  it("POST /auth/login keeps working across a bcrypt cost change in both directions", async () => {
    const body = registration();
    const res = await call("/auth/register", { body, env: { BCRYPT_COST: "5" } });
    expect(res.status, res.text).toBe(201);
    // Cost 4 (the test default) upgrades the cost-5 hash on this login, in the background.
    await login(body.email, PASSWORD);
    await login(body.email, PASSWORD);
    const wrong = await call("/auth/login", {
      body: { email: body.email, password: "Nope-Nope-99" },
    });
    expectProblem(wrong, 401, "invalid_credentials");
    const back = await call("/auth/login", {
      body: { email: body.email, password: PASSWORD },
      env: { BCRYPT_COST: "5" },
    });
    expect(back.status, back.text).toBe(200);
    await login(body.email, PASSWORD);
  });

  it("POST /auth/login upgrades a hash of another cost on success, not on failure", async () => {
    const body = registration();
    const res = await call("/auth/register", { body, env: { BCRYPT_COST: "5" } });
    expect(res.status, res.text).toBe(201);
    const costOf = async () => {
      const [row] = await db<{ password_hash: string }>(
        "select password_hash from users where id = $1",
        [res.json.user.id],
      );
      return /^\$2[aby]\$(\d\d)\$/.exec(row?.password_hash ?? "")?.[1];
    };
    expect(await costOf()).toBe("05");
    const wrong = await call("/auth/login", {
      body: { email: body.email, password: "Nope-Nope-99" },
    });
    expectProblem(wrong, 401, "invalid_credentials");
    expect(await costOf()).toBe("05");
    await login(body.email, PASSWORD);
    expect(await costOf()).toBe("04");
  });

  it("POST /auth/login issues an HS256 access token with the documented claims", async () => {
    const user = await registerUser();
    const first = await login(user.email, PASSWORD);
    const second = await login(user.email, PASSWORD);
    const { header, payload } = decodeJwt(first.token);
    expect(header.alg).toBe("HS256");
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
});

describe("access tokens on GET /users/me", () => {
  it("GET /users/me without an Authorization header is 401 with a Bearer challenge", async () => {
    const res = await call("/users/me");
    expectProblem(res, 401, "unauthorized");
    expectBearerChallenge(res);
  });

  it("GET /users/me accepts the access token as Bearer (any case) and bare", async () => {
    const session = await signUp();
    for (const authorization of [
      `Bearer ${session.token}`,
      `bearer ${session.token}`,
      session.token,
    ]) {
      const res = await me(authorization);
      expect(res.status, res.text).toBe(200);
      expect(res.json.id).toBe(session.id);
    }
  });

  it("GET /users/me accepts a token signed with the right secret and correct claims", async () => {
    // Proves the forgeries below fail for what they change, not for how the test builds tokens.
    const user = await registerUser();
    const token = await sign(accessClaims(user), jwtSecret(), "HS256");
    const res = await me(`Bearer ${token}`);
    expect(res.status, res.text).toBe(200);
    expect(res.json.id).toBe(user.id);
  });

  type Forgery = (session: Awaited<ReturnType<typeof signUp>>) => Promise<string> | string;
  const forgeries: [string, Forgery][] = [
    ["a Basic credential", () => "Basic dXNlcjpwYXNz"],
    ["a garbage header", () => "garbage"],
    ["a garbage bearer token", () => "Bearer not.a.jwt"],
    ["an empty bearer token", () => "Bearer "],
    [
      "an unsigned alg none token",
      (s) =>
        `Bearer ${base64UrlJson({ alg: "none", typ: "JWT" })}.${base64UrlJson(accessClaims(s))}.`,
    ],
    [
      "an alg none token with a signature segment",
      (s) =>
        `Bearer ${base64UrlJson({ alg: "none", typ: "JWT" })}.${base64UrlJson(accessClaims(s))}.c2ln`,
    ],
    [
      "an HS512 token signed with the right secret",
      async (s) => `Bearer ${await sign(accessClaims(s), jwtSecret(), "HS512")}`,
    ],
    [
      "an HS256 token signed with a wrong key",
      async (s) =>
        `Bearer ${await sign(accessClaims(s), "a-completely-different-secret-0123456789", "HS256")}`,
    ],
    [
      "a token without exp",
      async (s) => {
        const { exp: _exp, ...claims } = accessClaims(s);
        return `Bearer ${await sign(claims, jwtSecret(), "HS256")}`;
      },
    ],
    [
      "a token without sub",
      async (s) => {
        const { sub: _sub, ...claims } = accessClaims(s);
        return `Bearer ${await sign(claims, jwtSecret(), "HS256")}`;
      },
    ],
    [
      "an expired token",
      async (s) => {
        const now = Math.floor(Date.now() / 1000);
        const claims = accessClaims(s, { iat: now - 1000, exp: now - 100 });
        return `Bearer ${await sign(claims, jwtSecret(), "HS256")}`;
      },
    ],
    [
      "a token with the wrong issuer",
      async (s) =>
        `Bearer ${await sign(accessClaims(s, { iss: "someone-else" }), jwtSecret(), "HS256")}`,
    ],
    [
      "a token with the wrong audience",
      async (s) =>
        `Bearer ${await sign(accessClaims(s, { aud: "someone-else" }), jwtSecret(), "HS256")}`,
    ],
    [
      "a token of another type",
      async (s) =>
        `Bearer ${await sign(accessClaims(s, { typ: "refresh" }), jwtSecret(), "HS256")}`,
    ],
    [
      "a token from before the user's token version moved",
      async (s) => `Bearer ${await sign(accessClaims(s, { ver: -1 }), jwtSecret(), "HS256")}`,
    ],
    [
      "a token for a session that does not exist",
      async (s) =>
        `Bearer ${await sign(accessClaims(s, { sid: crypto.randomUUID() }), jwtSecret(), "HS256")}`,
    ],
    [
      "a correctly signed token whose sub is not a UUID",
      async (s) => `Bearer ${await sign(accessClaims(s, { sub: "1" }), jwtSecret(), "HS256")}`,
    ],
    [
      "a correctly signed token whose sid is not a UUID",
      async (s) =>
        `Bearer ${await sign(accessClaims(s, { sid: "session-1" }), jwtSecret(), "HS256")}`,
    ],
    [
      "a real token whose payload was changed to role ADMIN",
      (s) => {
        const [header, payload, signature] = s.token.split(".");
        const claims = decodeSegment(payload ?? "");
        expect(claims.role).toBe("USER");
        return `Bearer ${header}.${base64UrlJson({ ...claims, role: "ADMIN" })}.${signature}`;
      },
    ],
    ["the refresh token", (s) => `Bearer ${s.refreshToken}`],
    ["the bare refresh token", (s) => s.refreshToken],
    [
      "a token naming a user that does not exist",
      async (s) =>
        `Bearer ${await sign(accessClaims({ id: crypto.randomUUID(), role: s.role }), jwtSecret(), "HS256")}`,
    ],
  ];

  it.each(forgeries)(
    "GET /users/me refuses %s with 401 and a Bearer challenge",
    async (_label, forge) => {
      const session = await signUp();
      const authorization = await forge(session);
      const res = await me(authorization);
      expectProblem(res, 401, "invalid_token");
      expectBearerChallenge(res);
      expect(res.text).not.toContain(session.email);
      // The genuine token of the same user still works: the refusal was about the forgery.
      expect((await call("/users/me", { token: session.token })).status).toBe(200);
    },
  );

  it("GET /users as a USER with a payload changed to role ADMIN is 401, not admin access", async () => {
    const session = await signUp();
    const [header, payload, signature] = session.token.split(".");
    const forged = `${header}.${base64UrlJson({ ...decodeSegment(payload ?? ""), role: "ADMIN" })}.${signature}`;
    const res = await call("/users", { token: forged });
    expectProblem(res, 401, "invalid_token");
  });

  it("GET /users/me refuses the live token of a deleted user with 401", async () => {
    const session = await signUp();
    const admin = await signUp({ admin: true });
    const deleted = await call(`/users/${session.id}`, { method: "DELETE", token: admin.token });
    expect(deleted.status, deleted.text).toBe(200);
    const res = await call("/users/me", { token: session.token });
    expectProblem(res, 401, "invalid_token");
    expectBearerChallenge(res);
    const refreshed = await call("/auth/refresh", {
      body: { refresh_token: session.refreshToken },
    });
    expectProblem(refreshed, 401, "invalid_refresh_token");
  });

  it("GET /users/me refuses the live token of a deactivated user on the very next request", async () => {
    const session = await signUp();
    expect((await call("/users/me", { token: session.token })).status).toBe(200);
    await setActive(session.id, false);
    const res = await call("/users/me", { token: session.token });
    expectProblem(res, 401, "invalid_token");
    expectBearerChallenge(res);
    const refreshed = await call("/auth/refresh", {
      body: { refresh_token: session.refreshToken },
    });
    expect(refreshed.status, refreshed.text).toBe(401);
  });
});

describe("rate limits", () => {
  it("POST /auth/login from one IP is 429 with Retry-After after 10 attempts in a minute", async () => {
    const ip = freshIp();
    const user = await registerUser();
    await expectLimitedAfter(10, (i) =>
      call("/auth/login", {
        body: { email: `${uniqueName(`ip${i}`)}@example.test`, password: PASSWORD },
        headers: { "CF-Connecting-IP": ip },
      }),
    );
    // Even right credentials are refused from that IP now; elsewhere they still work.
    const limited = await call("/auth/login", {
      body: { email: user.email, password: PASSWORD },
      headers: { "CF-Connecting-IP": ip },
    });
    expectProblem(limited, 429, "rate_limited");
    await login(user.email, PASSWORD);
  });

  it("POST /auth/login on one account is 429 after 10 attempts, even from different IPs", async () => {
    const user = await registerUser();
    await expectLimitedAfter(10, () =>
      call("/auth/login", { body: { email: user.email, password: "Wrong-Password-77" } }),
    );
    const right = await call("/auth/login", {
      body: { email: user.email.toUpperCase(), password: PASSWORD },
    });
    expectProblem(right, 429, "rate_limited");
  });

  it("POST /auth/register from one IP is 429 after 5 registrations in a minute, creating nobody", async () => {
    const ip = freshIp();
    let last = registration();
    await expectLimitedAfter(5, () => {
      last = registration();
      return call("/auth/register", { body: last, headers: { "CF-Connecting-IP": ip } });
    });
    const denied = await call("/auth/login", { body: { email: last.email, password: PASSWORD } });
    expectProblem(denied, 401, "invalid_credentials");
  });

  it("POST /auth/register for one email is 429 after 5 attempts, even from different IPs", async () => {
    const email = `${uniqueName("limited")}@example.test`;
    await expectLimitedAfter(5, () => call("/auth/register", { body: registration({ email }) }));
  });

  it("POST /auth/forgot-password from one IP is 429 after 5 requests in a minute", async () => {
    const ip = freshIp();
    await expectLimitedAfter(5, () =>
      call("/auth/forgot-password", {
        body: { email: `${uniqueName("forgot")}@example.test` },
        headers: { "CF-Connecting-IP": ip },
      }),
    );
  });

  it("POST /auth/forgot-password for one email is 429 after 5 requests, even from different IPs", async () => {
    const user = await registerUser();
    await expectLimitedAfter(5, () =>
      call("/auth/forgot-password", { body: { email: user.email } }),
    );
  });
});

describe("database unavailable", () => {
  const internals = /sql|select|postgres|neon|fetch|127\.0\.0\.1|econnrefused|stack/i;

  it("POST /auth/login is a 503 database_unavailable problem without internals", async () => {
    const user = await registerUser();
    const res = await call("/auth/login", {
      body: { email: user.email, password: PASSWORD },
      env: DB_DOWN,
    });
    expectProblem(res, 503, "database_unavailable");
    expect(res.text).not.toMatch(internals);
    expect(res.text).not.toContain(user.email);
  });

  it("POST /auth/register is a 503 database_unavailable problem without internals", async () => {
    const body = registration();
    const res = await call("/auth/register", { body, env: DB_DOWN });
    expectProblem(res, 503, "database_unavailable");
    expect(res.text).not.toMatch(internals);
    expect(res.text).not.toContain(body.email);
  });

  it("GET /users/me with a valid token is a 503 problem, not a 401, while the database is down", async () => {
    const session = await signUp();
    const res = await call("/users/me", { token: session.token, env: DB_DOWN });
    expectProblem(res, 503, "database_unavailable");
    expect(res.text).not.toMatch(internals);
  });
});
