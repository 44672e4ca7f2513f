// Limits that protect accounts hold globally: they are counted in Postgres (which every
// Cloudflare location sees), not only by the per-location Rate Limiting bindings.
import { describe, expect, it } from "vitest";
import { ADMIN_KEY, db, PASSWORD, registration, signUp } from "./helpers/factories";
import { burst, expectLimitedAfter, tally } from "./helpers/rate-limits";
import { changePassword } from "./helpers/sessions";
import { updateUser } from "./helpers/users";
import { call, expectProblem } from "./helpers/worker";

async function failures(key: string): Promise<number | undefined> {
  const [row] = await db<{ failures: number }>(
    "select failures from auth_throttles where key = $1",
    [key],
  );
  return row === undefined ? undefined : Number(row.failures);
}

/** Puts a subject at its limit, as if failures had come from any number of locations. */
async function exhaust(key: string, count: number) {
  await db(
    `insert into auth_throttles (key, failures, window_started_at) values ($1, $2, now())
     on conflict (key) do update set failures = $2, window_started_at = now()`,
    [key, count],
  );
}

function expectLockedOut(res: Awaited<ReturnType<typeof call>>) {
  expectProblem(res, 429, "rate_limited");
  // The bindings answer 60; the database guard answers the rest of its longer window.
  expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(60);
}

describe("failed logins per account", () => {
  it("are counted in the database, for unknown emails as for known ones", async () => {
    const user = await signUp();
    const unknown = `nobody_${crypto.randomUUID()}@example.test`;
    for (const email of [user.email, unknown, user.email.toUpperCase()]) {
      const res = await call("/auth/login", { body: { email, password: "wrong-password-1" } });
      expectProblem(res, 401, "invalid_credentials");
    }
    expect(await failures(`login:${user.email.toLowerCase()}`)).toBe(2);
    expect(await failures(`login:${unknown.toLowerCase()}`)).toBe(1);
  });

  it("lock the account past the limit with 429, even with the right password", async () => {
    const user = await signUp();
    await exhaust(`login:${user.email.toLowerCase()}`, 10);
    expectLockedOut(
      await call("/auth/login", { body: { email: user.email, password: user.password } }),
    );
  });

  it("lock an unknown email the same way, so the lock reveals nothing", async () => {
    const unknown = `nobody_${crypto.randomUUID()}@example.test`;
    await exhaust(`login:${unknown}`, 10);
    expectLockedOut(await call("/auth/login", { body: { email: unknown, password: PASSWORD } }));
  });
});

describe("wrong current passwords per user", () => {
  it("are counted by change-password and lock it with 429, even with the right password", async () => {
    const user = await signUp();
    for (let i = 0; i < 5; i++) {
      const res = await changePassword(
        user.token,
        `wrong-password-${i}`,
        "Copper-Meadow-Kettle-77",
      );
      expectProblem(res, 400, "invalid_current_password");
    }
    expect(await failures(`currentPassword:${user.id}`)).toBe(5);
    expectLockedOut(await changePassword(user.token, user.password, "Copper-Meadow-Kettle-77"));
  });

  it("are shared with the email change, which is locked too", async () => {
    const user = await signUp();
    await exhaust(`currentPassword:${user.id}`, 5);
    expectLockedOut(
      await updateUser(user.token, "me", {
        email: `moved_${crypto.randomUUID()}@example.test`,
        current_password: user.password,
      }),
    );
  });
});

// Every attempt is counted before its check runs, in the statement that compares it with the
// limit: requests sent at once get no more checks than requests sent one after the other.
describe("a burst of concurrent wrong answers", () => {
  const NEXT = "Copper-Meadow-Kettle-77";

  it("to PATCH /users/me's current_password gets 5 checked and 15 × 429", async () => {
    const user = await signUp();
    const results = await burst(20, (i) =>
      updateUser(user.token, "me", {
        email: `moved_${i}_${crypto.randomUUID()}@example.test`,
        current_password: `wrong-password-${i}`,
      }),
    );
    expect(tally(results)).toEqual({ "400 invalid_current_password": 5, "429 rate_limited": 15 });
    expect(await failures(`currentPassword:${user.id}`)).toBe(6);
    // Locked for the right password too, and the email never changed.
    expectLockedOut(
      await updateUser(user.token, "me", { email: "x@example.test", current_password: PASSWORD }),
    );
    expect((await call("/users/me", { token: user.token })).json.email).toBe(user.email);
  });

  it("to POST /auth/change-password gets 5 checked and 15 × 429", async () => {
    const user = await signUp();
    const results = await burst(20, (i) => changePassword(user.token, `wrong-password-${i}`, NEXT));
    expect(tally(results)).toEqual({ "400 invalid_current_password": 5, "429 rate_limited": 15 });
  });

  it("to POST /auth/login gets only what is left of the limit checked", async () => {
    // 7 failures counted elsewhere (other locations); 10 at once is what LOGIN_LIMITER lets by.
    const user = await signUp();
    await exhaust(`login:${user.email.toLowerCase()}`, 7);
    const results = await burst(10, (i) =>
      call("/auth/login", { body: { email: user.email, password: `wrong-password-${i}` } }),
    );
    expect(tally(results)).toEqual({ "401 invalid_credentials": 3, "429 rate_limited": 7 });
  });

  it("of admin keys from one client gets only what is left of the limit checked", async () => {
    const ip = `10.252.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    await exhaust(`adminKey:${ip}`, 3);
    // 5 at once is what REGISTER_LIMITER lets by from one address.
    const results = await burst(5, () =>
      call("/auth/register", {
        body: registration({ secret_admin_key: "wrong-key" }),
        headers: { "CF-Connecting-IP": ip },
      }),
    );
    expect(tally(results)).toEqual({ "403 invalid_admin_key": 2, "429 rate_limited": 3 });
  });
});

describe("a right answer", () => {
  it("gives its attempt back: a login, a current password and an admin key leave the count as it was", async () => {
    const user = await signUp();
    const loginKey = `login:${user.email.toLowerCase()}`;
    await exhaust(loginKey, 9);
    for (let i = 0; i < 3; i++) {
      const res = await call("/auth/login", { body: { email: user.email, password: PASSWORD } });
      expect(res.status, res.text).toBe(200);
    }
    expect(await failures(loginKey)).toBe(9);

    await exhaust(`currentPassword:${user.id}`, 4);
    const changed = await changePassword(user.token, PASSWORD, "Copper-Meadow-Kettle-77");
    expect(changed.status, changed.text).toBe(200);
    expect(await failures(`currentPassword:${user.id}`)).toBe(4);

    const ip = `10.253.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    await exhaust(`adminKey:${ip}`, 4);
    const admin = await call("/auth/register", {
      body: registration({ secret_admin_key: ADMIN_KEY }),
      headers: { "CF-Connecting-IP": ip },
    });
    expect(admin.status, admin.text).toBe(201);
    expect(await failures(`adminKey:${ip}`)).toBe(4);
  });
});

describe("POST /auth/change-password per user and per IP", () => {
  it("is limited per user across client IPs (429 with Retry-After)", async () => {
    const user = await signUp();
    let session = { token: user.token, password: user.password };
    await expectLimitedAfter(10, async (i) => {
      const next = `Copper-Meadow-Kettle-${i}${i}`;
      const res = await changePassword(session.token, session.password, next);
      if (res.status === 200) session = { token: res.json.access_token, password: next };
      return res;
    });
  });

  it("is limited per client IP across users", async () => {
    const ip = "10.250.1.1";
    const users = await Promise.all(Array.from({ length: 11 }, () => signUp()));
    await expectLimitedAfter(10, (i) =>
      call("/auth/change-password", {
        body: { current_password: "wrong-password-1", new_password: "Copper-Meadow-Kettle-77" },
        token: users[i]?.token,
        headers: { "CF-Connecting-IP": ip },
      }),
    );
  });
});

describe("wrong admin keys per client", () => {
  it("are counted in the database and lock admin registration from that client", async () => {
    const ip = `10.251.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const wrong = await call("/auth/register", {
      body: registration({ secret_admin_key: "wrong-key" }),
      headers: { "CF-Connecting-IP": ip },
    });
    expectProblem(wrong, 403, "invalid_admin_key");
    expect(await failures(`adminKey:${ip}`)).toBe(1);
    await exhaust(`adminKey:${ip}`, 5);
    expectLockedOut(
      await call("/auth/register", {
        body: registration({ secret_admin_key: ADMIN_KEY }),
        headers: { "CF-Connecting-IP": ip },
      }),
    );
  });
});

describe("client addresses", () => {
  it("count IPv6 clients by their /64", async () => {
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:7`;
    await expectLimitedAfter(5, (i) =>
      call("/auth/register", {
        body: registration(),
        headers: { "CF-Connecting-IP": `${prefix}:${(i + 1).toString(16)}::${i + 1}` },
      }),
    );
  });

  it("never put requests without CF-Connecting-IP in one shared bucket", async () => {
    for (let i = 0; i < 7; i++) {
      const res = await call("/auth/register", {
        body: registration(),
        headers: { "CF-Connecting-IP": "" },
      });
      expect(res.status, res.text).toBe(201);
    }
  });

  it("treat a missing limiter binding as a configuration error, not as no limit", async () => {
    const res = await call("/health", { env: { CHANGE_PASSWORD_LIMITER: undefined } });
    const body = expectProblem(res, 500, "configuration_error");
    expect(body.detail).toContain("CHANGE_PASSWORD_LIMITER");
  });
});
