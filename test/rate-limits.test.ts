// The limits of wrangler.toml's [[ratelimits]] bindings, which a whole run shares: every request
// here that is meant to count sends a client IP or an account of its own.
import { describe, it } from "vitest";
import {
  expectLoginRefused,
  login,
  NEW_PASSWORD,
  PASSWORD,
  register,
  registerUser,
  registration,
  uniqueName,
} from "./helpers/factories";
import { expectInvalidToken, forgot } from "./helpers/password-reset";
import { expectLimitedAfter } from "./helpers/rate-limits";
import { call, expectProblem, randomIp } from "./helpers/worker";

describe("POST /auth/login", () => {
  it("from one IP is 429 with Retry-After after 10 attempts in a minute", async () => {
    const ip = randomIp();
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

  it("on one account is 429 after 10 attempts, even from different IPs", async () => {
    const user = await registerUser();
    await expectLimitedAfter(10, () =>
      call("/auth/login", { body: { email: user.email, password: "Wrong-Password-77" } }),
    );
    const right = await call("/auth/login", {
      body: { email: user.email.toUpperCase(), password: PASSWORD },
    });
    expectProblem(right, 429, "rate_limited");
  });
});

describe("POST /auth/register", () => {
  it("from one IP is 429 after 5 registrations in a minute, creating nobody", async () => {
    const ip = randomIp();
    let last = registration();
    await expectLimitedAfter(5, () => {
      last = registration();
      return call("/auth/register", { body: last, headers: { "CF-Connecting-IP": ip } });
    });
    await expectLoginRefused(last.email, PASSWORD);
  });

  it("for one email is 429 after 5 attempts, even from different IPs", async () => {
    const email = `${uniqueName("limited")}@example.test`;
    await expectLimitedAfter(5, () => register(registration({ email })));
  });
});

describe("POST /auth/forgot-password", () => {
  it("from one IP is 429 after 5 requests in a minute", async () => {
    const ip = randomIp();
    await expectLimitedAfter(5, () =>
      call("/auth/forgot-password", {
        body: { email: `${uniqueName("forgot")}@example.test` },
        headers: { "CF-Connecting-IP": ip },
      }),
    );
  });

  it("for one email is 429 after 5 requests, even from different IPs", async () => {
    const user = await registerUser();
    await expectLimitedAfter(5, () => forgot(user.email));
  });
});

describe("POST /auth/reset-password", () => {
  it("from one IP is 429 after 10 attempts in a minute", async () => {
    const ip = randomIp();
    await expectLimitedAfter(10, async (i) => {
      const res = await call("/auth/reset-password", {
        body: { reset_token: "B".repeat(43), new_password: NEW_PASSWORD },
        headers: { "CF-Connecting-IP": ip },
      });
      if (i < 10) expectInvalidToken(res);
      return res;
    });
  });
});
