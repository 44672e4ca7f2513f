import { describe, expect, it } from "vitest";
import {
  ADMIN_KEY,
  expectLoginRefused,
  login,
  PASSWORD,
  register,
  registerUser,
  registration,
  USER_KEYS,
  uniqueName,
} from "./helpers/factories";
import { me } from "./helpers/sessions";
import { call, expectProblem } from "./helpers/worker";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const LEGACY_KEY = "legacy-admin-key";

describe("POST /auth/register", () => {
  it("creates a USER with 201, Location and only public fields", async () => {
    const body = registration({ first_name: "Ada", last_name: "Lovelace" });
    const res = await register(body);
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

  it("accepts usernames of exactly 3 and 32 characters", async () => {
    const short = crypto.randomUUID().replaceAll("-", "").slice(0, 3).replace(/^\d/, "u");
    const long = `u${crypto.randomUUID().replaceAll("-", "")}`.slice(0, 32);
    for (const username of [short, long]) {
      const res = await register(registration({ username, email: `${uniqueName()}@example.test` }));
      expect(res.status, res.text).toBe(201);
      expect(res.json.user.username).toBe(username);
    }
  });

  it("trims names", async () => {
    const res = await register(
      registration({ first_name: "  Ada \t", last_name: "\n Lovelace  " }),
    );
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.first_name).toBe("Ada");
    expect(res.json.user.last_name).toBe("Lovelace");
  });

  it("accepts names of 100 characters outside the Basic Multilingual Plane", async () => {
    const name = "🚀".repeat(100);
    expect([...name]).toHaveLength(100);
    const res = await register(registration({ first_name: name }));
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.first_name).toBe(name);
    const tooLong = await register(registration({ first_name: "🚀".repeat(101) }));
    expect(expectProblem(tooLong, 422, "validation_failed").errors?.[0]?.path).toBe("first_name");
  });

  it("stores SQL metacharacters in names verbatim", async () => {
    const hostile = "'; drop table users; --";
    const body = registration({ first_name: hostile, last_name: `Robert"); DELETE FROM users;--` });
    const res = await register(body);
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.first_name).toBe(hostile);
    expect(res.json.user.last_name).toBe(`Robert"); DELETE FROM users;--`);
    const session = await login(body.email, PASSWORD);
    expect((await me(session.token)).json.first_name).toBe(hostile);
    await login((await registerUser()).email, PASSWORD);
  });

  it("accepts an apostrophe in the email and logs it in", async () => {
    const email = `o'hara_${uniqueName()}@example.test`;
    const res = await register(registration({ email }));
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.email).toBe(email);
    await login(email, PASSWORD);
  });

  it("keeps emoji in names and passwords intact", async () => {
    const password = "Ünïcødé-🚀-Pässwörd";
    const body = registration({ first_name: "Zoë 🚀", last_name: "Ñoño 👩‍💻", password });
    const res = await register(body);
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.first_name).toBe("Zoë 🚀");
    expect(res.json.user.last_name).toBe("Ñoño 👩‍💻");
    await login(body.email, password);
  });
});

describe("POST /auth/register with secret_admin_key", () => {
  it("makes an ADMIN when the key matches", async () => {
    const res = await register(registration({ secret_admin_key: ADMIN_KEY }));
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.role).toBe("ADMIN");
    expect(Object.keys(res.json.user).sort()).toEqual(USER_KEYS);
  });

  it.each([
    ["a wrong key", "wrong-admin-key"],
    ["a prefix of the key", ADMIN_KEY.slice(0, -1)],
    ["an empty key", ""],
  ])("refuses %s with 403 invalid_admin_key and creates nobody", async (_label, key) => {
    const body = registration({ secret_admin_key: key });
    expectProblem(await register(body), 403, "invalid_admin_key");
    await expectLoginRefused(body.email, PASSWORD);
    const { secret_admin_key: _key, ...withoutKey } = body;
    const retried = await register(withoutKey);
    expect(retried.status, retried.text).toBe(201);
    expect(retried.json.user.role).toBe("USER");
  });

  it("refuses every key with 403 while SECRET_ADMIN_KEY is unset", async () => {
    const env = { SECRET_ADMIN_KEY: undefined };
    for (const key of [ADMIN_KEY, "", "undefined", "null"]) {
      const res = await register(registration({ secret_admin_key: key }), env);
      expectProblem(res, 403, "invalid_admin_key");
    }
    const plain = await register(registration(), env);
    expect(plain.status, plain.text).toBe(201);
    expect(plain.json.user.role).toBe("USER");
  });

  it.each([
    [
      "reads the legacy SECRETE_ADMIN_KEY when SECRET_ADMIN_KEY is unset",
      { SECRET_ADMIN_KEY: undefined, SECRETE_ADMIN_KEY: LEGACY_KEY },
      { accepted: LEGACY_KEY, refused: ADMIN_KEY },
    ],
    [
      "prefers SECRET_ADMIN_KEY over the legacy spelling",
      { SECRETE_ADMIN_KEY: LEGACY_KEY },
      { accepted: ADMIN_KEY, refused: LEGACY_KEY },
    ],
  ])("%s", async (_title, env, { accepted, refused }) => {
    const admin = await register(registration({ secret_admin_key: accepted }), env);
    expect(admin.status, admin.text).toBe(201);
    expect(admin.json.user.role).toBe("ADMIN");
    const wrong = await register(registration({ secret_admin_key: refused }), env);
    expectProblem(wrong, 403, "invalid_admin_key");
  });
});

describe("POST /auth/register of a taken name", () => {
  it("refuses an email taken in another case with 409 naming email", async () => {
    const first = await registerUser({ email: `${uniqueName("Case")}@Example.test` });
    for (const email of [first.email.toLowerCase(), first.email.toUpperCase()]) {
      const res = await register(registration({ email }));
      expect(expectProblem(res, 409, "conflict").errors?.[0]?.path).toBe("email");
    }
  });

  it("refuses a username taken in another case with 409 naming username", async () => {
    const first = await registerUser({ username: uniqueName("MixedCase") });
    const res = await register(registration({ username: first.username.toLowerCase() }));
    expect(expectProblem(res, 409, "conflict").errors?.[0]?.path).toBe("username");
  });

  it.each([
    // Five, the per-account registration limit of wrangler.toml: more would be 429s, not 409s.
    ["email", 5, (email: string) => ({ email })],
    ["username", 8, (username: string) => ({ username, email: `${uniqueName()}@example.test` })],
  ])(
    "creates exactly one user from concurrent registrations of one %s",
    async (field, count, overrides) => {
      const value = field === "email" ? `${uniqueName("race")}@example.test` : uniqueName("race");
      const bodies = Array.from({ length: count }, () => registration(overrides(value)));
      const results = await Promise.all(bodies.map((body) => register(body)));
      const created = results.filter((r) => r.status === 201);
      expect(created).toHaveLength(1);
      for (const res of results.filter((r) => r.status !== 201)) {
        expect(expectProblem(res, 409, "conflict").errors?.[0]?.path).toBe(field);
      }
      const winner = bodies.find((b) => b.email === created[0]?.json.user.email);
      expect(winner).toBeDefined();
      const session = await call("/auth/login", {
        body: { email: winner?.email, password: PASSWORD },
      });
      expect(session.status, session.text).toBe(200);
      expect(session.json.user.id).toBe(created[0]?.json.user.id);
    },
  );
});
