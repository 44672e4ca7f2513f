// Email verification: the link mailed on registration, on every email change and on request;
// POST /auth/verify-email spends it once; REQUIRE_VERIFIED_EMAIL holds unverified logins back.
import { beforeAll, describe, expect, it } from "vitest";
import {
  db,
  expectLoginRefused,
  login,
  mailTo,
  PASSWORD,
  register,
  registerUser,
  registration,
  signUp,
  uniqueName,
  verificationMailsTo,
  verificationTokenFor,
} from "./helpers/factories";
import { expectLimitedAfter } from "./helpers/rate-limits";
import { me } from "./helpers/sessions";
import { updateUser } from "./helpers/users";
import { type CallResult, call, expectProblem, randomIp, testEnv } from "./helpers/worker";

const VERIFY_LINK = `${testEnv.EMAIL_VERIFY_URL}?token=`;
const APP_NAME = String(testEnv.MAIL_APP_NAME);

function verify(token: unknown, headers?: Record<string, string>) {
  return call("/auth/verify-email", { body: { token }, headers });
}

function resend(token?: string, headers?: Record<string, string>) {
  return call("/auth/resend-verification", { method: "POST", token, headers });
}

function expectInvalid(res: CallResult) {
  expectProblem(res, 400, "invalid_or_expired_token");
}

async function expectVerified(res: CallResult, userId: string) {
  expect(res.status, res.text).toBe(200);
  expect(res.json.message).toBe("Email verified successfully");
  expect(res.json.user.id).toBe(userId);
  expect(res.json.user.email_verified).toBe(true);
}

async function verifiedEvents(userId: string) {
  return db<{ actor_id: string; detail: unknown }>(
    "select actor_id, detail from security_events where user_id = $1 and type = 'email.verified'",
    [userId],
  );
}

const newEmail = () => `${uniqueName("moved")}@example.test`;

// The file's database is created and migrated on first use: not inside one test's time limit.
beforeAll(() => db("select 1"), 120_000);

describe("the verification email", () => {
  it("is sent on registration to the address, with a configured link and the product name", async () => {
    const user = await registerUser();
    expect(user.user.email_verified).toBe(false);
    const mails = await verificationMailsTo(user.email);
    expect(mails).toHaveLength(1);
    const mail = mails[0]?.message;
    expect(mail?.to).toEqual([user.email]);
    expect(mail?.subject).toContain(APP_NAME);
    const token = await verificationTokenFor(user.email);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mail?.text).toContain(`${VERIFY_LINK}${token}`);
    expect(mail?.html).toContain(`href="${VERIFY_LINK}${token}"`);
    expect(mail?.text).toContain(APP_NAME);
    expect(mail?.html).toContain(APP_NAME);
    expect(mail?.html).toMatch(/^<!doctype html>/);
    // Only the token's hash is stored.
    const [row] = await db<{ token_hash: string; email: string }>(
      "select token_hash, email from email_verification_tokens where user_id = $1",
      [user.id],
    );
    expect(row?.token_hash).not.toContain(token);
    expect(row?.email).toBe(user.email);
  });

  it("links only to the configured page, whatever Host the request names", async () => {
    const hostile = {
      Host: "evil.example",
      "X-Forwarded-Host": "evil.example",
      "X-Forwarded-Proto": "https",
      Forwarded: "host=evil.example;proto=https",
    };
    const body = registration();
    const res = await call("/auth/register", {
      body,
      headers: hostile,
      origin: "https://evil.example",
    });
    expect(res.status, res.text).toBe(201);
    const resent = await call("/auth/resend-verification", {
      method: "POST",
      headers: hostile,
      origin: "https://evil.example",
      token: (await login(body.email, PASSWORD)).token,
    });
    expect(resent.status, resent.text).toBe(202);
    const forgot = await call("/auth/forgot-password", {
      body: { email: body.email },
      headers: hostile,
      origin: "https://evil.example",
    });
    expect(forgot.status, forgot.text).toBe(202);
    const mails = await mailTo(body.email);
    expect(mails).toHaveLength(3);
    for (const { message } of mails) {
      expect(`${message.text}${message.html}`).not.toContain("evil");
      const links = `${message.text} ${message.html}`.match(/https?:\/\/[^\s"<]+/g) ?? [];
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) {
        expect(
          [testEnv.EMAIL_VERIFY_URL, testEnv.PASSWORD_RESET_URL].some((page) =>
            link.startsWith(`${page}?token=`),
          ),
          link,
        ).toBe(true);
      }
    }
  });

  it("escapes the user's name and the product name in HTML", async () => {
    const appName = `Fish & <b>Chips</b> "Co"`;
    const body = registration({ first_name: `<img src=x onerror=alert(1)>` });
    const res = await register(body, { MAIL_APP_NAME: appName });
    expect(res.status, res.text).toBe(201);
    const [mail] = await verificationMailsTo(body.email);
    const html = mail?.message.html ?? "";
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>Chips");
    expect(html).toContain("&#60;img src=x onerror=alert(1)&#62;");
    expect(html).toContain("Fish &#38; &#60;b&#62;Chips&#60;/b&#62; &#34;Co&#34;");
    expect(mail?.message.subject).toContain(appName);
    expect(mail?.message.text).toContain(appName);
  });

  it("is sent to the new address on every email change, which makes the user unverified", async () => {
    const user = await signUp();
    await expectVerified(await verify(await verificationTokenFor(user.email)), user.id);
    const email = newEmail();
    const res = await updateUser(user.token, "me", { email, current_password: user.password });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.email_verified).toBe(false);
    expect((await verificationMailsTo(email)).map((m) => m.message.to)).toEqual([[email]]);
    // The old address got one link (at registration) and then only the notice.
    expect(await verificationMailsTo(user.email)).toHaveLength(1);
    await expectVerified(await verify(await verificationTokenFor(email)), user.id);
  });

  it("is sent to the new address when an admin changes it", async () => {
    const admin = await signUp({ admin: true });
    const user = await registerUser();
    const email = newEmail();
    const res = await updateUser(admin.token, user.id, { email });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.email_verified).toBe(false);
    await expectVerified(await verify(await verificationTokenFor(email)), user.id);
  });

  it("is not sent when an update leaves the email as it is", async () => {
    const user = await signUp();
    const res = await updateUser(user.token, "me", { first_name: "Renamed" });
    expect(res.status, res.text).toBe(200);
    expect(await verificationMailsTo(user.email)).toHaveLength(1);
  });
});

describe("POST /auth/verify-email", () => {
  it("verifies the address once, records the event, and a replay is 400", async () => {
    const user = await signUp();
    const token = await verificationTokenFor(user.email);
    const res = await verify(token);
    await expectVerified(res, user.id);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect((await me(user.token)).json.email_verified).toBe(true);
    const events = await verifiedEvents(user.id);
    expect(events).toHaveLength(1);
    expect(events[0]?.actor_id).toBe(user.id);
    expect(JSON.stringify(events[0]?.detail)).not.toContain(token);
    expectInvalid(await verify(token));
    expect(await verifiedEvents(user.id)).toHaveLength(1);
  });

  it("refuses an expired token, records nothing and leaves the user unverified", async () => {
    const user = await signUp();
    const token = await verificationTokenFor(user.email);
    await db(
      "update email_verification_tokens set expires_at = now() - interval '1 second' where user_id = $1",
      [user.id],
    );
    expectInvalid(await verify(token));
    expect(await verifiedEvents(user.id)).toHaveLength(0);
    expect((await me(user.token)).json.email_verified).toBe(false);
  });

  it("refuses a token replaced by a newer one, and the newer one works", async () => {
    const user = await signUp();
    const older = await verificationTokenFor(user.email);
    expect((await resend(user.token)).status).toBe(202);
    const newer = await verificationTokenFor(user.email);
    expect(newer).not.toBe(older);
    expectInvalid(await verify(older));
    await expectVerified(await verify(newer), user.id);
  });

  it("refuses a token sent to an address the user no longer has", async () => {
    const user = await signUp();
    const old = await verificationTokenFor(user.email);
    const email = newEmail();
    const res = await updateUser(user.token, "me", { email, current_password: user.password });
    expect(res.status, res.text).toBe(200);
    expectInvalid(await verify(old));
    expect(await verifiedEvents(user.id)).toHaveLength(0);
    expect((await me(user.token)).json.email_verified).toBe(false);
    await expectVerified(await verify(await verificationTokenFor(email)), user.id);
  });

  it("refuses a token whose address changed under it, even while its row lives", async () => {
    const user = await signUp();
    const token = await verificationTokenFor(user.email);
    // As if the address changed without a new token (the row still names the old address).
    await db("update users set email = $2 where id = $1", [user.id, newEmail()]);
    expectInvalid(await verify(token));
    expect(await verifiedEvents(user.id)).toHaveLength(0);
  });

  it("matches the address case-insensitively", async () => {
    const user = await signUp({ email: `${uniqueName("Mixed")}@Example.test` });
    const token = await verificationTokenFor(user.email);
    await db("update users set email = upper(email) where id = $1", [user.id]);
    await expectVerified(await verify(token), user.id);
  });

  it("refuses unknown and malformed tokens", async () => {
    await registerUser();
    expectInvalid(await verify("x".repeat(43)));
    expectInvalid(await verify(crypto.randomUUID()));
    expectProblem(await verify(""), 422, "validation_failed");
    expectProblem(await verify(42), 422, "validation_failed");
    expectProblem(
      await call("/auth/verify-email", { body: { token: "abc", extra: 1 } }),
      422,
      "validation_failed",
    );
  });

  it("verifies once under concurrent submissions of one token", async () => {
    const user = await signUp();
    const token = await verificationTokenFor(user.email);
    const results = await Promise.all(Array.from({ length: 6 }, () => verify(token)));
    const statuses = results.map((res) => res.status).sort();
    expect(statuses).toEqual([200, 400, 400, 400, 400, 400]);
    expect(await verifiedEvents(user.id)).toHaveLength(1);
  });

  it("is rate limited per client IP", async () => {
    const ip = randomIp();
    await expectLimitedAfter(10, () => verify("y".repeat(43), { "CF-Connecting-IP": ip }));
  });
});

describe("POST /auth/resend-verification", () => {
  it("answers 202 and mails a new link; 409 once verified", async () => {
    const user = await signUp();
    const res = await resend(user.token);
    expect(res.status, res.text).toBe(202);
    expect(res.json).toEqual({ message: "A verification email has been sent to your address." });
    const mails = await verificationMailsTo(user.email);
    expect(mails).toHaveLength(2);
    const token = await verificationTokenFor(user.email);
    expect(res.text).not.toContain(token);
    await expectVerified(await verify(token), user.id);
    expectProblem(await resend(user.token), 409, "already_verified");
    expect(await verificationMailsTo(user.email)).toHaveLength(2);
  });

  it("needs an access token", async () => {
    expectProblem(await resend(), 401, "unauthorized");
    expectProblem(await resend("not-a-jwt"), 401, "invalid_token");
  });

  it("is rate limited per user, even from different IPs", async () => {
    const user = await signUp();
    await expectLimitedAfter(10, () => resend(user.token));
  });

  it("is rate limited per client IP, across users", async () => {
    const ip = randomIp();
    const users = await Promise.all([signUp(), signUp()]);
    await expectLimitedAfter(10, (i) => resend(users[i % 2]?.token, { "CF-Connecting-IP": ip }));
  });
});

describe("REQUIRE_VERIFIED_EMAIL=true", () => {
  const required = { REQUIRE_VERIFIED_EMAIL: "true" };
  const loginWith = (email: string, password: string) =>
    call("/auth/login", { body: { email, password }, env: required });

  it("refuses an unverified account with 403 only after the right password", async () => {
    const user = await registerUser();
    expectProblem(await loginWith(user.email, PASSWORD), 403, "email_not_verified");
    expectProblem(await loginWith(user.email, "Wrong-Password-77"), 401, "invalid_credentials");
    // With the setting off (the default), the same account logs in.
    await login(user.email, PASSWORD);
  });

  it("lets a verified account in", async () => {
    const user = await registerUser();
    await expectVerified(await verify(await verificationTokenFor(user.email)), user.id);
    const res = await loginWith(user.email, PASSWORD);
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.email_verified).toBe(true);
  });

  it("holds back an account again after its email changed, until the new one is verified", async () => {
    const user = await signUp();
    await expectVerified(await verify(await verificationTokenFor(user.email)), user.id);
    const email = newEmail();
    await updateUser(user.token, "me", { email, current_password: user.password });
    expectProblem(await loginWith(email, PASSWORD), 403, "email_not_verified");
    await expectLoginRefused(user.email, PASSWORD);
    await expectVerified(await verify(await verificationTokenFor(email)), user.id);
    expect((await loginWith(email, PASSWORD)).status).toBe(200);
  });
});

describe("the OpenAPI document", () => {
  it("documents both routes with their answers and problems", async () => {
    const doc = (await call("/openapi.json")).json;
    const verifyOp = doc.paths["/auth/verify-email"].post;
    expect(verifyOp.summary).toBeTruthy();
    // Public, and said so: an empty security list (the OpenAPI lint wants it explicit).
    expect(verifyOp.security).toEqual([]);
    expect(Object.keys(verifyOp.responses)).toEqual(
      expect.arrayContaining(["200", "400", "415", "422", "429", "503"]),
    );
    expect(verifyOp.responses["400"].description).toContain("invalid_or_expired_token");
    const resendOp = doc.paths["/auth/resend-verification"].post;
    expect(resendOp.summary).toBeTruthy();
    expect(resendOp.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(resendOp.responses)).toEqual(
      expect.arrayContaining(["202", "401", "409", "429", "503"]),
    );
    expect(resendOp.responses["409"].description).toContain("already_verified");
  });
});
