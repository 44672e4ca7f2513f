// Races and database faults get the contract's clean answers: a 401 for an account that vanished
// mid-request, a 503 with Retry-After for a database that is overloaded or failing over.
import { describe, expect, it, vi } from "vitest";
import {
  db,
  NEW_PASSWORD,
  PASSWORD,
  registration,
  resetTokenFor,
  signUp,
  verificationTokenFor,
} from "./helpers/factories";
import { forgot, reset } from "./helpers/password-reset";
import { updateUser } from "./helpers/users";
import { call, DATABASE_DOWN, expectProblem } from "./helpers/worker";

describe("a user deleted during their own login", () => {
  it("gets 401 invalid_credentials, not a 500", async () => {
    // A slow hash leaves room to delete the account between the lookup and the new session.
    const slow = { BCRYPT_COST: "13" };
    const admin = await signUp({ admin: true });
    const body = registration();
    const created = await call("/auth/register", { body, env: slow });
    expect(created.status, created.text).toBe(201);
    const login = call("/auth/login", {
      body: { email: body.email, password: body.password },
      env: slow,
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const removed = await call(`/users/${created.json.user.id}`, {
      method: "DELETE",
      token: admin.token,
    });
    expect(removed.status, removed.text).toBe(200);
    expectProblem(await login, 401, "invalid_credentials");
  });
});

// An email change that commits while a token of the old address is being spent: the token's
// statement read the old address, then waits for the user's row, which the change holds (a
// trigger keeps it busy). Only real concurrency shows it: PGlite runs one statement at a time.
describe("an email change committing while a token of the old address is spent", () => {
  async function slowEmailChanges() {
    await db(`
      create or replace function slow_email_change() returns trigger language plpgsql as $$
      begin
        if left(new.email, 5) = 'slow_' and new.email <> old.email then
          perform pg_sleep(1.5);
        end if;
        return new;
      end $$`);
    await db("drop trigger if exists slow_email_change on users");
    await db(
      "create trigger slow_email_change after update on users for each row execute function slow_email_change()",
    );
  }

  /** Starts the user's change to a new address, and gives it time to reach its update. */
  async function changingEmail(user: { token: string }) {
    const email = `slow_${crypto.randomUUID().slice(0, 8)}@example.test`;
    const change = updateUser(user.token, "me", { email, current_password: PASSWORD });
    await new Promise((resolve) => setTimeout(resolve, 400));
    return { email, change };
  }

  it("never marks the new address verified with the old address's token", async () => {
    await slowEmailChanges();
    const user = await signUp();
    const token = await verificationTokenFor(user.email);
    const { email, change } = await changingEmail(user);
    const verified = await call("/auth/verify-email", { body: { token } });
    expect((await change).status).toBe(200);
    const mine = await call("/users/me", { token: user.token });
    expect(mine.json.email).toBe(email);
    expect(mine.json.email_verified).toBe(false);
    // Before the change, it verified the old address (which the change then made unverified).
    if (verified.status !== 200) expectProblem(verified, 400, "invalid_or_expired_token");
  });

  it("never sets the password with a reset token mailed to the old address", async () => {
    await slowEmailChanges();
    const user = await signUp();
    expect((await forgot(user.email)).status).toBe(202);
    const token = await resetTokenFor(user.email);
    const { email, change } = await changingEmail(user);
    const res = await reset(token);
    const changed = await change;
    // One of them, never both: a reset first ends the session the change was sent with.
    expect([changed.status, res.status]).not.toEqual([200, 200]);
    if (changed.status === 200) {
      expectProblem(res, 400, "invalid_or_expired_token");
      const old = await call("/auth/login", { body: { email, password: PASSWORD } });
      expect(old.status, old.text).toBe(200);
      const stolen = await call("/auth/login", { body: { email, password: NEW_PASSWORD } });
      expectProblem(stolen, 401, "invalid_credentials");
    }
  });
});

describe("database errors that mean 'try again'", () => {
  // A trigger raises the error as Postgres would under a deadlock, a failover or overload.
  it.each(["40P01", "40001", "57P01", "53300", "08006", "55000"])(
    "%s is a 503 database_unavailable with Retry-After",
    async (code) => {
      const user = await signUp();
      const marker = `fault_${code}`;
      const name = `raise_${code.toLowerCase()}`;
      await db(`
        create or replace function ${name}() returns trigger language plpgsql as $$
        begin
          if new.first_name = '${marker}' then
            raise exception 'injected fault' using errcode = '${code}';
          end if;
          return new;
        end $$`);
      await db(`drop trigger if exists ${name} on users`);
      await db(
        `create trigger ${name} before update on users for each row execute function ${name}()`,
      );
      const res = await updateUser(user.token, "me", { first_name: marker });
      expectProblem(res, 503, "database_unavailable");
      expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
      const mine = await call("/users/me", { token: user.token });
      expect(mine.json.first_name).toBe("Test");
    },
  );
});

describe("POST /auth/forgot-password", () => {
  it("answers 202 before any per-account work: even with the database down", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const res = await call("/auth/forgot-password", {
        body: { email: "someone@example.test" },
        env: DATABASE_DOWN,
      });
      expect(res.status, res.text).toBe(202);
      // The background failure is logged by name only: no message that could quote parameters.
      const lines = errors.mock.calls.map((args) => String(args[0]));
      const line = lines.find((text) => text.includes("password_reset_failed"));
      expect(line, lines.join("\n")).toBeDefined();
      const logged = JSON.parse(line as string);
      expect(logged).toMatchObject({ level: "error", event: "password_reset_failed" });
      expect(logged.request_id).toEqual(res.headers.get("x-request-id"));
      expect(logged.message).toBeUndefined();
      expect(line).not.toContain("someone@example.test");
    } finally {
      errors.mockRestore();
    }
  });

  it("still mails a token to an existing account", async () => {
    const user = await signUp();
    expect((await forgot(user.email)).status).toBe(202);
    const [row] = await db<{ n: number }>(
      "select count(*)::int as n from password_reset_tokens where user_id = $1",
      [user.id],
    );
    expect(Number(row?.n)).toBe(1);
  });
});

describe("POST /auth/login timing", () => {
  it("a wrong password against a cheaper stored hash costs a full comparison at the configured cost", async () => {
    // Registered at the test cost (4), logged into at cost 12: without the top-up, the wrong
    // password would answer ~250 times faster than an unknown email and reveal the account.
    const user = await signUp();
    const strong = { BCRYPT_COST: "12" };
    const time = async (email: string) => {
      const started = performance.now();
      const res = await call("/auth/login", {
        body: { email, password: `${PASSWORD}x` },
        env: strong,
      });
      expectProblem(res, 401, "invalid_credentials");
      return performance.now() - started;
    };
    // The fastest of three each, interleaved, so a busy moment of the machine cannot make one
    // side look slow (the gap this guards against is ~250x, the margin here 2.5x).
    const unknownTimes: number[] = [];
    const knownTimes: number[] = [];
    for (let round = 0; round < 3; round++) {
      unknownTimes.push(await time(`nobody_${crypto.randomUUID()}@example.test`));
      knownTimes.push(await time(user.email));
    }
    expect(Math.min(...knownTimes)).toBeGreaterThan(Math.min(...unknownTimes) * 0.4);
  });
});
