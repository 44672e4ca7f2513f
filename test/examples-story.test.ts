// One story in every example: the README's curl session, requests.http and the OpenAPI examples
// Swagger UI prefills use the same users and passwords, so each works after the others, and no
// example is a famous passphrase (those are refused).
import { describe, expect, it } from "vitest";
import readme from "../README.md?raw";
import requestsFile from "../requests.http?raw";
import { call, expectProblem } from "./helpers/worker";

/** The JSON bodies of the README's curl commands (`-d '{...}'`), in order. */
function readmeBodies(): Record<string, unknown>[] {
  return [...readme.matchAll(/ -d '(\{[^']*\})'/g)].map(([, body]) => JSON.parse(body as string));
}

/** The JSON bodies of requests.http, in order, its variables filled in. */
function requestsFileBodies(): Record<string, unknown>[] {
  const variables = Object.fromEntries(
    [...requestsFile.matchAll(/^@(\w+) = (.*)$/gm)].map(([, name, value]) => [name, value]),
  );
  return requestsFile
    .split(/^###.*$/m)
    .slice(1)
    .flatMap((request: string) => {
      const body = /\n\s*\n(\{[\s\S]*\})\s*$/.exec(request)?.[1];
      if (!body) return [];
      return [JSON.parse(body.replace(/\{\{(\w+)\}\}/g, (_, name) => variables[name] ?? ""))];
    });
}

// biome-ignore lint/suspicious/noExplicitAny: the tests walk a JSON document of every shape.
async function openApi(): Promise<any> {
  return (await call("/openapi.json")).json;
}

// The README's .dev.vars: its admin key, which the examples use.
const env = { SECRET_ADMIN_KEY: "local-admin-key" };

describe("every example tells one story", () => {
  it("the README and requests.http register, log in and reset with the same bodies", () => {
    const fromReadme = readmeBodies();
    const fromFile = requestsFileBodies();
    const registrations = (bodies: Record<string, unknown>[]) =>
      bodies.filter((body) => "username" in body);
    expect(registrations(fromReadme)).toEqual(registrations(fromFile));
    expect(registrations(fromReadme).map((body) => body.username)).toEqual(["alice", "bob"]);
    const logins = (bodies: Record<string, unknown>[]) =>
      bodies.filter((body) => Object.keys(body).join() === "email,password");
    expect(logins(fromFile)).toEqual([logins(fromReadme)[0]]);
  });

  it("the OpenAPI register examples are the README's alice and bob, the login example alice", async () => {
    const document = await openApi();
    const register = document.paths["/auth/register"].post.requestBody.content["application/json"];
    const [alice, bob] = readmeBodies().filter((body) => "username" in body);
    expect(Object.keys(register.examples)).toEqual(["admin", "user"]);
    expect(register.examples.admin.value).toEqual(alice);
    expect(register.examples.user.value).toEqual(bob);
    const login = document.components.schemas.LoginRequest.example;
    expect(login).toEqual({ email: alice?.email, password: alice?.password });
    expect(document.components.schemas.ChangePasswordRequest.example.current_password).toBe(
      alice?.password,
    );
  });

  it("on a fresh server: register with the admin example, log in with the login example, change the password with its example", async () => {
    const document = await openApi();
    const register = document.paths["/auth/register"].post.requestBody.content["application/json"];
    const registered = await call("/auth/register", { body: register.examples.admin.value, env });
    expect(registered.status, registered.text).toBe(201);
    expect(registered.json.user.role).toBe("ADMIN");
    const bob = await call("/auth/register", { body: register.examples.user.value, env });
    expect(bob.status, bob.text).toBe(201);
    expect(bob.json.user.role).toBe("USER");

    const login = await call("/auth/login", {
      body: document.components.schemas.LoginRequest.example,
      env,
    });
    expect(login.status, login.text).toBe(200);
    expect(login.json.user.username).toBe("alice");

    const changed = await call("/auth/change-password", {
      token: login.json.access_token,
      body: document.components.schemas.ChangePasswordRequest.example,
      env,
    });
    expect(changed.status, changed.text).toBe(200);
  });

  it("no example is a famous passphrase, and registering with one is refused", async () => {
    const everything = JSON.stringify(await openApi()) + readme + requestsFile;
    expect(everything.toLowerCase()).not.toContain("correct horse");
    for (const password of [
      "correct horse battery staple",
      "CorrectHorseBatteryStaple",
      "Tr0ub4dor&3",
    ]) {
      const res = await call("/auth/register", {
        body: { ...readmeBodies()[1], username: "famous", email: "famous@example.com", password },
      });
      expectProblem(res, 422, "weak_password");
    }
  });
});

describe("Swagger UI opens with how to start", () => {
  it("three steps first (register, log in, Authorize), then the rules", async () => {
    const { description } = (await openApi()).info;
    const start = description.indexOf("How to start");
    const steps = ["1. **Register**", "2. **Log in**", "3. **Authorize**", "**The rules:**"].map(
      (step) => description.indexOf(step),
    );
    expect(start).toBeGreaterThan(0);
    expect(steps.every((at: number, i: number) => at > (steps[i - 1] ?? start))).toBe(true);
  });

  it("a field sent to the wrong route names the right one", async () => {
    const registered = await call("/auth/register", {
      body: { ...readmeBodies()[1], username: "carol", email: "carol@example.com" },
    });
    const login = await call("/auth/login", {
      body: { email: "carol@example.com", password: readmeBodies()[1]?.password },
    });
    expect(registered.status).toBe(201);
    const res = await call("/users/me", {
      method: "PATCH",
      token: login.json.access_token,
      body: { password: "Another-Password-99" },
    });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors?.[0]).toEqual({
      path: "password",
      message: expect.stringContaining("use POST /auth/change-password"),
    });
  });
});
