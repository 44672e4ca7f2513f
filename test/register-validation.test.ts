import { describe, expect, it } from "vitest";
import { expectLoginRefused, login, PASSWORD, register, registration } from "./helpers/factories";
import { call, expectProblem } from "./helpers/worker";

/** Asserts a 422 of this code whose errors[] name the field, and returns the problem. */
async function expectRefused(body: Record<string, unknown>, code: string, field: string) {
  const problem = expectProblem(await register(body), 422, code);
  expect(problem.errors?.map((e) => e.path)).toContain(field);
  return problem;
}

describe("POST /auth/register", () => {
  it.each([
    ["role", "ADMIN"],
    ["active", false],
    ["id", "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70"],
    ["created_at", "2020-01-01T00:00:00.000Z"],
    ["updated_at", "2020-01-01T00:00:00.000Z"],
    ["password_hash", "$2a$04$abcdefghijklmnopqrstuuxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"],
  ])("refuses mass assignment of %s with 422 naming the field", async (field, value) => {
    const body = registration({ [field]: value });
    await expectRefused(body, "validation_failed", field);
    await expectLoginRefused(body.email, PASSWORD);
  });

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
  ])("refuses %s with 422 naming the field", async (_label, overrides, field) => {
    await expectRefused(registration(overrides), "validation_failed", field);
  });

  it.each([
    ["an array", []],
    ["null", null],
    ["a string", "hello"],
    ["a number", 7],
    ["an empty object", {}],
  ])("refuses %s as the body with 422 and errors[]", async (_label, body) => {
    const res = await call("/auth/register", {
      rawBody: JSON.stringify(body),
      headers: { "Content-Type": "application/json" },
      method: "POST",
    });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors?.length).toBeGreaterThan(0);
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
  ])("refuses a hostile %s with 422, never 500 (%#)", async (field, value) => {
    await expectRefused(registration({ [field]: value }), "validation_failed", field);
  });
});

describe("POST /auth/register password rules", () => {
  it("refuses a password of 4 characters that are 8 UTF-16 code units with 422", async () => {
    const password = "🚀🐙🌵🎻";
    expect([...password]).toHaveLength(4);
    const problem = await expectRefused(
      registration({ password }),
      "validation_failed",
      "password",
    );
    expect(problem.errors?.[0]?.path).toBe("password");
  });

  it("refuses a password of 40 'é' (80 UTF-8 bytes) with 422 password_too_long", async () => {
    const password = "é".repeat(40);
    expect(password.length).toBe(40);
    const body = registration({ password });
    const problem = await expectRefused(body, "password_too_long", "password");
    expect(problem.errors?.[0]?.path).toBe("password");
    await expectLoginRefused(body.email, password);
  });

  it("refuses a 73-byte ASCII password with 422 password_too_long", async () => {
    const res = await register(registration({ password: `Zq7-${"k".repeat(69)}` }));
    expectProblem(res, 422, "password_too_long");
  });

  it("accepts a 72-byte password and never truncates it", async () => {
    const password = `Zq7-${"é".repeat(34)}`;
    expect(new TextEncoder().encode(password).length).toBe(72);
    const body = registration({ password });
    const res = await register(body);
    expect(res.status, res.text).toBe(201);
    await login(body.email, password);
    await expectLoginRefused(body.email, password.slice(0, -1));
  });

  it.each(["password123", "PASSWORD123", "iloveyou1", "qwerty123"])(
    "refuses the common password %s with 422 weak_password",
    async (password) => {
      const problem = await expectRefused(registration({ password }), "weak_password", "password");
      expect(problem.errors?.[0]?.path).toBe("password");
    },
  );

  it("refuses a password containing the username with 422 weak_password", async () => {
    const body = registration();
    const weak = { ...body, password: `X9!${body.username.toUpperCase()}!` };
    const problem = await expectRefused(weak, "weak_password", "password");
    expect(problem.errors?.[0]?.path).toBe("password");
  });

  it("takes a NUL byte in the password whole, or refuses it, never 500", async () => {
    const password = "Violet-Lantern\u0000Orbit-42";
    const body = registration({ password });
    const res = await register(body);
    if (res.status === 201) {
      await login(body.email, password);
      await expectLoginRefused(body.email, "Violet-Lantern");
      await expectLoginRefused(body.email, "Violet-Lantern\u0000Other-99");
    } else {
      expectProblem(res, 422, "validation_failed");
    }
  });
});
