import { describe, expect, it } from "vitest";
import {
  db,
  expectLoginRefused,
  login,
  mailTo,
  NEW_PASSWORD,
  PASSWORD,
  registerUser,
  resetMailsTo,
  resetTokenFor,
  setActive,
  signUp,
  uniqueName,
} from "./helpers/factories";
import { captureLogs } from "./helpers/logs";
import { expectInvalidToken, forgot, mailedToken, reset } from "./helpers/password-reset";
import { changePassword, expectDeadAccess, expectDeadRefresh, me } from "./helpers/sessions";
import { deleteUser, updateUser } from "./helpers/users";
import { type CallResult, call, expectProblem, testEnv } from "./helpers/worker";

const FORGOT_MESSAGE = "If an account exists for that email, a password reset email has been sent.";
const RESET_LINK = "https://app.example.test/reset-password?token=";

/** Asserts the forgot-password answer every email gets, and that nothing was mailed. */
async function expectAcceptedWithoutMail(res: CallResult, email: string) {
  expect(res.status, res.text).toBe(202);
  expect(res.json).toEqual({ message: FORGOT_MESSAGE });
  expect(await resetMailsTo(email)).toHaveLength(0);
}

/** Resets to NEW_PASSWORD with the token and proves the new password logs in. */
async function expectResetWorks(token: string, email: string, other?: Record<string, unknown>) {
  const res = await reset(token, NEW_PASSWORD, other);
  expect(res.status, res.text).toBe(200);
  await login(email, NEW_PASSWORD);
}

describe("POST /auth/forgot-password", () => {
  it("answers existing, unknown and deactivated emails with the same 202", async () => {
    const existing = await registerUser();
    const deactivated = await registerUser();
    await setActive(deactivated.id, false);
    const unknown = `${uniqueName("nobody")}@example.test`;
    const answers = [
      await forgot(existing.email),
      await forgot(unknown),
      await forgot(deactivated.email),
    ];
    for (const res of answers) {
      expect(res.status, res.text).toBe(202);
      expect(res.json).toEqual({ message: FORGOT_MESSAGE });
      expect(res.headers.get("content-type")).toContain("application/json");
    }
    expect(new Set(answers.map((res) => res.text)).size).toBe(1);
    expect(await resetMailsTo(existing.email)).toHaveLength(1);
    expect(await mailTo(unknown)).toHaveLength(0);
    expect(await resetMailsTo(deactivated.email)).toHaveLength(0);
  });

  it("mails a reset link through the provider's HTTP API", async () => {
    const user = await registerUser();
    const { token, accepted } = await mailedToken(user.email);
    const mails = await resetMailsTo(user.email);
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail?.authorization).toBe("Bearer re_test_key");
    expect(mail?.message.to).toEqual([user.email]);
    expect(mail?.message.from).toBe(testEnv.MAIL_FROM);
    expect(mail?.message.subject).toBe(`Reset your ${testEnv.MAIL_APP_NAME} password`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mail?.message.text).toContain(`${RESET_LINK}${token}`);
    expect(mail?.message.html).toContain(`${RESET_LINK}${token}`);
    expect(accepted.text).not.toContain(token);
    const self = await me((await login(user.email, PASSWORD)).token);
    expect(self.text).not.toContain(token);
  });

  it("matches the email case-insensitively and mails the stored address", async () => {
    const user = await registerUser({ email: `${uniqueName("Mixed")}@Example.test` });
    const res = await forgot(user.email.toUpperCase());
    expect(res.status, res.text).toBe(202);
    const mails = await resetMailsTo(user.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.message.to).toEqual([user.email]);
  });

  it("with MAIL_PROVIDER log sends nothing and answers the same 202", async () => {
    const user = await registerUser();
    await expectAcceptedWithoutMail(await forgot(user.email, { MAIL_PROVIDER: "log" }), user.email);
  });

  it("still answers 202 when the mail provider fails", async () => {
    const user = await registerUser({ email: `${uniqueName("boom")}@fail.test` });
    await expectAcceptedWithoutMail(await forgot(user.email), user.email);
    // The Worker survives and keeps serving, mail included.
    expect((await call("/health")).status).toBe(200);
    const other = await registerUser();
    await mailedToken(other.email);
    await login(user.email, PASSWORD);
  });

  it("logs a failing provider without the token or the link", async () => {
    const user = await registerUser({ email: `${uniqueName("logged")}@fail.test` });
    const logs = captureLogs();
    try {
      const res = await forgot(user.email);
      expect(res.status, res.text).toBe(202);
    } finally {
      logs.restore();
    }
    expect(logs.lines.some((line) => line.includes("mail_failed"))).toBe(true);
    for (const line of logs.lines) {
      expect(line).not.toContain("token=");
      expect(line).not.toContain(RESET_LINK);
    }
  });

  it("still answers 202 when the mail provider is unreachable", async () => {
    const user = await registerUser();
    await expectAcceptedWithoutMail(
      await forgot(user.email, { MAIL_API_URL: "http://127.0.0.1:9" }),
      user.email,
    );
    await mailedToken(user.email);
  });

  it.each([
    ["an unknown field", { email: "someone@example.test", user_id: "1" }, "user_id"],
    ["an invalid email", { email: "not-an-email" }, "email"],
    ["a missing email", {}, "email"],
    ["a number for email", { email: 12 }, "email"],
    ["a NUL byte in the email", { email: "a\u0000b@example.test" }, "email"],
  ])("refuses %s with 422", async (_label, body, field) => {
    const res = await call("/auth/forgot-password", { body });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors?.map((e) => e.path)).toContain(field);
  });
});

describe("POST /auth/reset-password", () => {
  it("sets the new password once, then answers 400", async () => {
    const user = await registerUser();
    const { token } = await mailedToken(user.email);
    const res = await reset(token);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ message: "Password reset successfully" });
    expect(res.text).not.toContain(token);
    const again = await reset(token, "Another-Fresh-Secret-58");
    expectInvalidToken(again);
    expect(again.text).not.toContain(token);
    await expectLoginRefused(user.email, PASSWORD);
    await expectLoginRefused(user.email, "Another-Fresh-Secret-58");
    await login(user.email, NEW_PASSWORD);
  });

  it("ends every access token and refresh token of the user", async () => {
    const user = await registerUser();
    const sessions = [await login(user.email, PASSWORD), await login(user.email, PASSWORD)];
    for (const session of sessions) expect((await me(session.token)).status).toBe(200);
    const { token } = await mailedToken(user.email);
    const res = await reset(token);
    expect(res.status, res.text).toBe(200);
    for (const session of sessions) {
      await expectDeadAccess(session.token);
      await expectDeadRefresh(session.refreshToken);
    }
    const fresh = await login(user.email, NEW_PASSWORD);
    expect((await me(fresh.token)).status).toBe(200);
  });

  it("refuses a token replaced by a newer forgot-password", async () => {
    const user = await registerUser();
    const first = (await mailedToken(user.email)).token;
    const second = (await mailedToken(user.email)).token;
    expect(second).not.toBe(first);
    expectInvalidToken(await reset(first));
    await expectResetWorks(second, user.email);
  });

  it("refuses an expired token with 400", async () => {
    const user = await registerUser();
    const { token } = await mailedToken(user.email);
    const aged = await db(
      "update password_reset_tokens set expires_at = now() - interval '1 second' where user_id = $1 returning user_id",
      [user.id],
    );
    expect(aged).toHaveLength(1);
    expectInvalidToken(await reset(token));
    await login(user.email, PASSWORD);
    await expectLoginRefused(user.email, NEW_PASSWORD);
  });

  it("issues tokens that live RESET_TOKEN_TTL seconds", async () => {
    const user = await registerUser();
    const secondsLeft = async () => {
      const [row] = await db<{ seconds: string }>(
        "select extract(epoch from expires_at - now())::int as seconds from password_reset_tokens where user_id = $1",
        [user.id],
      );
      return Number(row?.seconds);
    };
    await mailedToken(user.email);
    // The default is 15 minutes.
    expect(await secondsLeft()).toBeGreaterThan(60);
    expect(await secondsLeft()).toBeLessThanOrEqual(900);
    const accepted = await forgot(user.email, { RESET_TOKEN_TTL: "60" });
    expect(accepted.status, accepted.text).toBe(202);
    expect(await secondsLeft()).toBeGreaterThan(0);
    expect(await secondsLeft()).toBeLessThanOrEqual(60);
    const res = await reset(await resetTokenFor(user.email));
    expect(res.status, res.text).toBe(200);
  });

  it("refuses an email that is not the token's user with 400 email_mismatch saying so, and accepts it in any case", async () => {
    const user = await registerUser({ email: `${uniqueName("Owner")}@Example.test` });
    const other = await registerUser();
    const { token } = await mailedToken(user.email);
    const wrong = await reset(token, NEW_PASSWORD, { email: other.email });
    const problem = expectProblem(wrong, 400, "email_mismatch");
    expect(problem.detail).toContain("email does not match");
    expect(problem.errors?.map((e) => e.path)).toEqual(["email"]);
    await login(other.email, PASSWORD);
    await login(user.email, PASSWORD);
    await expectResetWorks(token, user.email, { email: user.email.toLowerCase() });
  });

  it("refuses bad new passwords with 422 without spending the token", async () => {
    const user = await registerUser();
    const { token } = await mailedToken(user.email);
    const refusals: [string, string][] = [
      ["password123", "weak_password"],
      [`Xy9-${user.username}`, "weak_password"],
      ["é".repeat(40), "password_too_long"],
      ["Sh0rt!", "validation_failed"],
    ];
    for (const [password, code] of refusals) {
      const res = await reset(token, password);
      const problem = expectProblem(res, 422, code);
      expect(problem.errors?.map((e) => e.path)).toContain("new_password");
    }
    await login(user.email, PASSWORD);
    await expectResetWorks(token, user.email);
  });

  it("lets only one of five concurrent submissions of a token succeed", async () => {
    const user = await registerUser();
    const { token } = await mailedToken(user.email);
    const passwords = Array.from({ length: 5 }, (_, i) => `Parallel-Lantern-${i}-${i * 7 + 11}`);
    const results = await Promise.all(passwords.map((new_password) => reset(token, new_password)));
    const winners = results.flatMap((res, i) => (res.status === 200 ? [passwords[i] ?? ""] : []));
    expect(winners).toHaveLength(1);
    for (const res of results.filter((r) => r.status !== 200)) expectInvalidToken(res);
    await login(user.email, winners[0] ?? "");
    for (const password of passwords.filter((p) => p !== winners[0])) {
      await expectLoginRefused(user.email, password);
    }
  });

  it("refuses the token of a user deactivated after it was mailed", async () => {
    const user = await registerUser();
    const { token } = await mailedToken(user.email);
    await setActive(user.id, false);
    expectInvalidToken(await reset(token));
    await setActive(user.id, true);
    await login(user.email, PASSWORD);
  });

  it("refuses the token of a deleted user with 400", async () => {
    const user = await registerUser();
    const { token } = await mailedToken(user.email);
    const admin = await signUp({ admin: true });
    const deleted = await deleteUser(admin.token, user.id);
    expect(deleted.status, deleted.text).toBe(200);
    expectInvalidToken(await reset(token));
  });

  it("refuses unknown fields with 422 without spending the token", async () => {
    const user = await registerUser();
    const { token } = await mailedToken(user.email);
    const res = await reset(token, NEW_PASSWORD, { user_id: user.id });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors?.map((e) => e.path)).toContain("user_id");
    await login(user.email, PASSWORD);
    expect((await reset(token)).status).toBe(200);
  });

  it.each([
    ["a token that was never issued", "A".repeat(43)],
    ["a 513-character token", "x".repeat(513)],
    ["a 10,000-character token", "x".repeat(10_000)],
    ["a token with a NUL byte", "abc\u0000def"],
    ["a unicode token", "ключ-🚀-トークン"],
    ["an SQL fragment", "' or '1'='1"],
    ["an empty token", ""],
    ["a number", 12345],
    ["null", null],
  ])("answers %s with 400 or 422, never 500", async (_label, resetToken) => {
    const res = await reset(resetToken);
    expect([400, 422], res.text).toContain(res.status);
    expectProblem(
      res,
      res.status,
      res.status === 400 ? "invalid_or_expired_token" : "validation_failed",
    );
  });
});

describe("POST /auth/forgot-password and /auth/reset-password", () => {
  it("never write the token to the log", async () => {
    const user = await registerUser();
    const logs = captureLogs();
    let token = "";
    try {
      token = (await mailedToken(user.email)).token;
      expectProblem(await reset(token, "password123"), 422, "weak_password");
      expect((await reset(token)).status).toBe(200);
      expectInvalidToken(await reset(token));
    } finally {
      logs.restore();
    }
    expect(token).not.toBe("");
    for (const line of logs.lines) expect(line).not.toContain(token);
  });
});

describe("a pending reset token", () => {
  const admin = () => signUp({ admin: true });
  it.each<[string, (user: Awaited<ReturnType<typeof signUp>>) => Promise<void>]>([
    [
      "a password change",
      async (user) => {
        const res = await changePassword(user.token, user.password, "Quiet-Harbor-Lantern-58");
        expect(res.status, res.text).toBe(200);
      },
    ],
    [
      "a role change",
      async (user) => {
        const res = await updateUser((await admin()).token, user.id, { role: "ADMIN" });
        expect(res.status, res.text).toBe(200);
      },
    ],
    [
      "a deactivation, even after the account is active again",
      async (user) => {
        await setActive(user.id, false);
        await setActive(user.id, true);
      },
    ],
  ])("dies with %s", async (_label, change) => {
    const user = await signUp();
    const { token } = await mailedToken(user.email);
    await change(user);
    expectInvalidToken(await reset(token));
  });
});
