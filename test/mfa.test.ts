// Two-factor login with TOTP: enrolment, the two-step login, recovery codes, replay and drift,
// the limits on wrong codes, disabling, the admin reset, and a server without the key.
import { describe, expect, it, vi } from "vitest";
import { decryptSecret, totpCode, totpStep } from "../src/lib/totp";
import { db, NEW_PASSWORD, PASSWORD, type Session, signUp } from "./helpers/factories";
import { decodeJwt, ISSUER, signClaims } from "./helpers/jwt";
import { mailedToken, reset } from "./helpers/password-reset";
import { burst, expectLimitedAfter, tally } from "./helpers/rate-limits";
import { me, refresh } from "./helpers/sessions";
import { expectUserShape } from "./helpers/users";
import { type CallResult, call, expectProblem, testEnv } from "./helpers/worker";

const NO_KEY = { MFA_ENCRYPTION_KEY: undefined };

// Tests wait for a steady TOTP step (up to 3 s) and make several logins each.
vi.setConfig({ testTimeout: 60_000 });

/**
 * Waits until at least 3 seconds of the current 30-second step remain, so that a code computed
 * here for a neighbouring step is judged against the same step by the server.
 */
async function steadyStep(): Promise<number> {
  const now = Date.now() / 1000;
  const left = 30 - (now % 30);
  if (left < 3) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 50));
  return totpStep(Date.now() / 1000);
}

/** The code of the step `offset` steps away from now. */
const codeAt = (secret: string, step: number, offset = 0) => totpCode(secret, step + offset);

function setup(token: string, env?: Record<string, unknown>, password = PASSWORD) {
  return call("/auth/mfa/totp/setup", { body: { current_password: password }, token, env });
}

function enable(token: string, code: string) {
  return call("/auth/mfa/totp/enable", { body: { code }, token });
}

type Enrolled = Session & { secret: string; recoveryCodes: string[] };

/** A signed-up user with MFA on, enabled with the previous step's code (so "now" is unused). */
async function enrolled(options: { admin?: boolean } = {}): Promise<Enrolled> {
  const session = await signUp(options);
  const started = await setup(session.token);
  expect(started.status, started.text).toBe(200);
  const step = await steadyStep();
  const res = await enable(session.token, codeAt(started.json.secret, step, -1));
  expect(res.status, res.text).toBe(200);
  return { ...session, secret: started.json.secret, recoveryCodes: res.json.recovery_codes };
}

/** POST /auth/login for a user with MFA: the mfa_token. */
async function firstStep(user: { email: string; password: string }): Promise<string> {
  const res = await call("/auth/login", { body: { email: user.email, password: user.password } });
  expect(res.status, res.text).toBe(200);
  expect(Object.keys(res.json).sort()).toEqual(["expires_in", "mfa_required", "mfa_token"]);
  expect(res.json.mfa_required).toBe(true);
  expect(res.json.expires_in).toBe(300);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return res.json.mfa_token;
}

function verify(mfaToken: string, factor: { code: string } | { recovery_code: string }) {
  return call("/auth/mfa/verify", { body: { mfa_token: mfaToken, ...factor } });
}

function expectWrongCode(res: CallResult) {
  expectProblem(res, 400, "invalid_mfa_code");
}

async function eventTypes(token: string, userId: string) {
  const res = await call(`/users/${userId}/events?per_page=100`, { token });
  expect(res.status, res.text).toBe(200);
  return res.json as { type: string; actor_id: string | null; detail: Record<string, unknown> }[];
}

describe("enrolment", () => {
  it("setup gives a base32 secret and its otpauth URL; enable with a code turns MFA on", async () => {
    const session = await signUp();
    expect(session.user.mfa_enabled).toBe(false);
    const started = await setup(session.token);
    expect(started.status, started.text).toBe(200);
    expect(started.headers.get("cache-control")).toBe("no-store");
    const { secret, otpauth_url } = started.json;
    // The issuer is the product name of the configuration (MAIL_APP_NAME).
    const issuer = encodeURIComponent(testEnv.MAIL_APP_NAME as string);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauth_url).toBe(
      `otpauth://totp/${issuer}:${encodeURIComponent(session.email)}?secret=${secret}&issuer=${issuer}&algorithm=SHA1&digits=6&period=30`,
    );
    // Pending: not enabled yet, login unchanged.
    expect((await me(session.token)).json.mfa_enabled).toBe(false);

    const step = await steadyStep();
    const near = [-1, 0, 1].map((offset) => codeAt(secret, step, offset));
    const wrong = ["111111", "222222", "333333", "444444"].find((code) => !near.includes(code));
    expectWrongCode(await enable(session.token, wrong ?? ""));

    const enabled = await enable(session.token, codeAt(secret, step));
    expect(enabled.status, enabled.text).toBe(200);
    const codes: string[] = enabled.json.recovery_codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expectUserShape(enabled.json.user);
    expect(enabled.json.user.mfa_enabled).toBe(true);
    expect((await me(session.token)).json.mfa_enabled).toBe(true);

    // At rest: the secret encrypted under MFA_ENCRYPTION_KEY, recovery codes only as hashes.
    const [row] = await db<{ totp_secret: string }>("select totp_secret from users where id = $1", [
      session.id,
    ]);
    expect(row?.totp_secret).not.toContain(secret);
    expect(await decryptSecret(testEnv.MFA_ENCRYPTION_KEY as string, row?.totp_secret ?? "")).toBe(
      secret,
    );
    const stored = await db<{ code_hash: string }>(
      "select code_hash from mfa_recovery_codes where user_id = $1",
      [session.id],
    );
    expect(stored).toHaveLength(10);
    for (const { code_hash } of stored) {
      expect(code_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(codes.join()).not.toContain(code_hash);
    }

    expect((await eventTypes(session.token, session.id)).map((e) => e.type)).toContain(
      "mfa.enabled",
    );
    // Enabled: no new setup, no second enable.
    expectProblem(await setup(session.token), 409, "mfa_already_enabled");
    expectProblem(await enable(session.token, codeAt(secret, step, 1)), 409, "mfa_already_enabled");
  });

  it("a new setup replaces a pending one; enable without setup is 409", async () => {
    const session = await signUp();
    expectProblem(await enable(session.token, "123456"), 409, "mfa_setup_required");
    const first = (await setup(session.token)).json.secret;
    const second = (await setup(session.token)).json.secret;
    expect(second).not.toBe(first);
    const step = await steadyStep();
    const firstCode = codeAt(first, step);
    if (firstCode !== codeAt(second, step)) expectWrongCode(await enable(session.token, firstCode));
    expect((await enable(session.token, codeAt(second, step))).status).toBe(200);
  });

  it("refuses malformed codes with 422 and needs an access token", async () => {
    const session = await signUp();
    await setup(session.token);
    const res = await enable(session.token, "12ab56");
    expectProblem(res, 422, "validation_failed");
    expectProblem(await call("/auth/mfa/totp/setup", { method: "POST" }), 401, "unauthorized");
  });
});

describe("login with a second factor", () => {
  it("the password alone gives an mfa_token; a code completes the login like /auth/login", async () => {
    const user = await enrolled();
    const mfaToken = await firstStep(user);
    // The mfa_token is no access token.
    expectProblem(await me(mfaToken), 401, "invalid_token");
    const step = await steadyStep();
    const res = await verify(mfaToken, { code: codeAt(user.secret, step) });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(Object.keys(res.json).sort()).toEqual([
      "access_token",
      "expires_in",
      "refresh_token",
      "token_type",
      "user",
    ]);
    expect(res.json.user.mfa_enabled).toBe(true);
    expect((await me(res.json.access_token)).status).toBe(200);
    // Refresh does not ask again.
    const refreshed = await refresh(res.json.refresh_token);
    expect(refreshed.status, refreshed.text).toBe(200);
    expect((await me(refreshed.json.access_token)).status).toBe(200);
    const types = (await eventTypes(res.json.access_token, user.id)).map((e) => e.type);
    expect(types.filter((type) => type === "login.succeeded")).toHaveLength(2);
    // One login per mfa_token.
    expectProblem(
      await verify(mfaToken, { code: codeAt(user.secret, step, 1) }),
      401,
      "invalid_mfa_token",
    );
  });

  it("a code works once (replay refused), with one step of drift either side and no more", async () => {
    const user = await enrolled(); // enabled with the code of step - 1
    const step = await steadyStep();
    // The enabling code again: refused, it is spent.
    expectWrongCode(await verify(await firstStep(user), { code: codeAt(user.secret, step, -1) }));
    const codes = [-2, -1, 0, 1, 2].map((offset) => codeAt(user.secret, step, offset));
    const unique = (offset: number) =>
      codes.filter((code) => code === codes[offset + 2]).length === 1;
    // Two steps away: refused.
    if (unique(2)) expectWrongCode(await verify(await firstStep(user), { code: codes[4] ?? "" }));
    if (unique(-2)) expectWrongCode(await verify(await firstStep(user), { code: codes[0] ?? "" }));
    // The current code works, and not twice.
    const now = await verify(await firstStep(user), { code: codes[2] ?? "" });
    expect(now.status, now.text).toBe(200);
    expectWrongCode(await verify(await firstStep(user), { code: codes[2] ?? "" }));
    // One step ahead works (a phone clock running fast); then nothing at or before it.
    const ahead = await verify(await firstStep(user), { code: codes[3] ?? "" });
    expect(ahead.status, ahead.text).toBe(200);
    expectWrongCode(await verify(await firstStep(user), { code: codes[3] ?? "" }));
  });

  it("one step behind is accepted", async () => {
    const session = await signUp();
    const secret = (await setup(session.token)).json.secret;
    const step = await steadyStep();
    expect((await enable(session.token, codeAt(secret, step, -2))).status).toBe(400);
    expect((await enable(session.token, codeAt(secret, step, -1))).status).toBe(200);
  });

  it("a recovery code logs in once and tells how many are left", async () => {
    const user = await enrolled();
    const [first, second] = user.recoveryCodes as [string, string];
    const res = await verify(await firstStep(user), { recovery_code: first });
    expect(res.status, res.text).toBe(200);
    expect(res.json.recovery_codes_left).toBe(9);
    expect((await me(res.json.access_token)).status).toBe(200);
    // Spent.
    expectProblem(
      await verify(await firstStep(user), { recovery_code: first }),
      400,
      "invalid_mfa_code",
    );
    // Typed in capitals without dashes, it still counts.
    const typed = second.replaceAll("-", "").toUpperCase();
    const again = await verify(await firstStep(user), { recovery_code: typed });
    expect(again.status, again.text).toBe(200);
    expect(again.json.recovery_codes_left).toBe(8);
    const events = await eventTypes(again.json.access_token, user.id);
    const used = events.filter((event) => event.type === "mfa.recovery_code_used");
    expect(used.map((event) => event.detail)).toEqual([
      { recovery_codes_left: 8 },
      { recovery_codes_left: 9 },
    ]);
  });

  it("needs exactly one of code and recovery_code", async () => {
    const user = await enrolled();
    const mfaToken = await firstStep(user);
    const both = await call("/auth/mfa/verify", {
      body: { mfa_token: mfaToken, code: "123456", recovery_code: "abcd" },
    });
    expectProblem(both, 422, "validation_failed");
    const none = await call("/auth/mfa/verify", { body: { mfa_token: mfaToken } });
    expectProblem(none, 422, "validation_failed");
  });

  it("an mfa_token dies after 5 wrong codes; a new login gets a new one", async () => {
    const user = await enrolled();
    const mfaToken = await firstStep(user);
    for (let i = 0; i < 5; i++)
      expectWrongCode(await verify(mfaToken, { recovery_code: `wrong-${i}` }));
    const step = await steadyStep();
    expectProblem(
      await verify(mfaToken, { code: codeAt(user.secret, step) }),
      401,
      "invalid_mfa_token",
    );
    const fresh = await verify(await firstStep(user), { code: codeAt(user.secret, step) });
    expect(fresh.status, fresh.text).toBe(200);
  });

  it("wrong codes count per account across tokens: 429 after 10", async () => {
    const user = await enrolled();
    for (let t = 0; t < 2; t++) {
      const mfaToken = await firstStep(user);
      for (let i = 0; i < 5; i++)
        expectWrongCode(await verify(mfaToken, { recovery_code: "nope" }));
    }
    const step = await steadyStep();
    const limited = await verify(await firstStep(user), { code: codeAt(user.secret, step) });
    expectProblem(limited, 429, "rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("refuses an expired, forged or foreign mfa_token", async () => {
    const user = await enrolled();
    const step = await steadyStep();
    const code = codeAt(user.secret, step);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: user.id,
      ver: 0,
      typ: "mfa",
      iss: ISSUER,
      aud: ISSUER,
      iat: now - 400,
      exp: now - 100,
      jti: crypto.randomUUID(),
    };
    expectProblem(await verify(await signClaims(claims), { code }), 401, "invalid_mfa_token");
    const otherKey = await signClaims(
      { ...claims, exp: now + 200 },
      { secret: "another-secret-that-is-long-enough-0123456789" },
    );
    expectProblem(await verify(otherKey, { code }), 401, "invalid_mfa_token");
    // An access token is no mfa_token.
    expectProblem(await verify(user.token, { code }), 401, "invalid_mfa_token");
    // A live, well-signed one still works with that code.
    const valid = await signClaims({ ...claims, exp: now + 200 });
    expect((await verify(valid, { code })).status).toBe(200);
  });

  it("a password reset ends sessions and pending mfa_tokens but keeps MFA on", async () => {
    const user = await enrolled();
    const pending = await firstStep(user);
    const { token } = await mailedToken(user.email);
    expect((await reset(token)).status).toBe(200);
    expectProblem(await me(user.token), 401, "invalid_token");
    const step = await steadyStep();
    expectProblem(
      await verify(pending, { code: codeAt(user.secret, step) }),
      401,
      "invalid_mfa_token",
    );
    const mfaToken = await firstStep({ email: user.email, password: NEW_PASSWORD });
    expect((await verify(mfaToken, { code: codeAt(user.secret, step) })).status).toBe(200);
  });
});

describe("turning MFA off", () => {
  function disable(token: string, body: Record<string, unknown>) {
    return call("/auth/mfa/totp/disable", { body, token });
  }

  it("needs the current password and a code; then login needs the password only", async () => {
    const user = await enrolled();
    const step = await steadyStep();
    const code = codeAt(user.secret, step);
    expectProblem(
      await disable(user.token, { current_password: "Wrong-Password-88", code }),
      400,
      "invalid_current_password",
    );
    expectProblem(
      await disable(user.token, { current_password: PASSWORD }),
      422,
      "validation_failed",
    );
    expectWrongCode(
      await disable(user.token, {
        current_password: PASSWORD,
        code: codeAt(user.secret, step, -1),
      }),
    );
    const res = await disable(user.token, { current_password: PASSWORD, code });
    expect(res.status, res.text).toBe(200);
    expect(res.json.user.mfa_enabled).toBe(false);
    const login = await call("/auth/login", { body: { email: user.email, password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(typeof login.json.access_token).toBe("string");
    const events = await eventTypes(login.json.access_token, user.id);
    expect(events.map((e) => e.type)).toContain("mfa.disabled");
    expect(await db("select 1 from mfa_recovery_codes where user_id = $1", [user.id])).toEqual([]);
    expectProblem(
      await disable(login.json.access_token, { current_password: PASSWORD, code }),
      409,
      "mfa_not_enabled",
    );
  });

  it("works with a recovery code instead of a code", async () => {
    const user = await enrolled();
    const res = await disable(user.token, {
      current_password: PASSWORD,
      recovery_code: user.recoveryCodes[3],
    });
    expect(res.status, res.text).toBe(200);
    expect((await me(user.token)).json.mfa_enabled).toBe(false);
  });

  it("an admin resets a user's MFA, recorded with the admin as actor", async () => {
    const user = await enrolled();
    const admin = await signUp({ admin: true });
    expectProblem(
      await call(`/users/${user.id}/mfa`, { method: "DELETE", token: user.token }),
      403,
      "forbidden",
    );
    const res = await call(`/users/${user.id}/mfa`, { method: "DELETE", token: admin.token });
    expect(res.status, res.text).toBe(204);
    const events = await eventTypes(admin.token, user.id);
    const disabled = events.find((event) => event.type === "mfa.disabled");
    expect(disabled?.actor_id).toBe(admin.id);
    const login = await call("/auth/login", { body: { email: user.email, password: PASSWORD } });
    expect(typeof login.json.access_token).toBe("string");
    expectProblem(
      await call(`/users/${user.id}/mfa`, { method: "DELETE", token: admin.token }),
      409,
      "mfa_not_enabled",
    );
    expectProblem(
      await call(`/users/${crypto.randomUUID()}/mfa`, { method: "DELETE", token: admin.token }),
      404,
      "not_found",
    );
  });
});

describe("re-authentication for every factor", () => {
  it("setup needs the current password: missing 422, wrong 400, and nothing is set up", async () => {
    const session = await signUp();
    const missing = await call("/auth/mfa/totp/setup", { body: {}, token: session.token });
    expect(expectProblem(missing, 422, "validation_failed").errors?.[0]?.path).toBe(
      "current_password",
    );
    expectProblem(
      await setup(session.token, undefined, "Wrong-Password-88"),
      400,
      "invalid_current_password",
    );
    const [row] = await db<{ totp_secret: string | null }>(
      "select totp_secret from users where id = $1",
      [session.id],
    );
    expect(row?.totp_secret).toBeNull();
  });

  it("enabling MFA ends the user's other sessions, their refresh tokens included; the caller's goes on", async () => {
    const session = await signUp();
    const other = await call("/auth/login", { body: { email: session.email, password: PASSWORD } });
    expect(other.status, other.text).toBe(200);
    const secret = (await setup(session.token)).json.secret;
    const step = await steadyStep();
    const res = await enable(session.token, codeAt(secret, step));
    expect(res.status, res.text).toBe(200);
    expectProblem(await me(other.json.access_token), 401, "invalid_token");
    expectProblem(await refresh(other.json.refresh_token), 401, "invalid_refresh_token");
    expect((await me(session.token)).status).toBe(200);
    expect((await refresh(session.refreshToken)).status).toBe(200);
    const ended = (await eventTypes(session.token, session.id)).filter(
      (event) => event.type === "session.ended",
    );
    expect(ended.map((event) => event.detail)).toEqual([
      { session_id: decodeJwt(other.json.access_token).payload.sid },
    ]);
  });

  it("an admin cannot remove their own MFA through DELETE /users/{id}/mfa: 403 self_service_required", async () => {
    const admin = await enrolled({ admin: true });
    const res = await call(`/users/${admin.id}/mfa`, { method: "DELETE", token: admin.token });
    expectProblem(res, 403, "self_service_required");
    expect((await me(admin.token)).json.mfa_enabled).toBe(true);
  });
});

// Every code and password is counted before it is checked, in the statement that compares the
// count with the limit: requests sent at once get no more checks than requests sent in turn.
describe("a burst of concurrent wrong answers", () => {
  it("of current passwords at setup gets 5 checked and 15 × 429", async () => {
    const session = await signUp();
    const results = await burst(20, (i) => setup(session.token, undefined, `Wrong-Password-${i}`));
    expect(tally(results)).toEqual({ "400 invalid_current_password": 5, "429 rate_limited": 15 });
  });

  it("of current passwords at disable gets 5 checked and 15 × 429", async () => {
    const user = await enrolled();
    const code = codeAt(user.secret, await steadyStep());
    const results = await burst(20, (i) =>
      call("/auth/mfa/totp/disable", {
        body: { current_password: `Wrong-Password-${i}`, code },
        token: user.token,
      }),
    );
    expect(tally(results)).toEqual({ "400 invalid_current_password": 5, "429 rate_limited": 15 });
    expect((await me(user.token)).json.mfa_enabled).toBe(true);
  });

  it("of codes at enable gets the account's 10 checked and 10 × 429", async () => {
    const session = await signUp();
    const secret = (await setup(session.token)).json.secret;
    const step = await steadyStep();
    const valid = new Set([-1, 0, 1].map((offset) => codeAt(secret, step, offset)));
    const wrong = Array.from({ length: 20 }, (_, i) => String(100000 + i * 7919)).filter(
      (code) => !valid.has(code),
    );
    const results = await burst(wrong.length, (i) => enable(session.token, wrong[i] ?? ""));
    expect(tally(results)).toEqual({
      "400 invalid_mfa_code": 10,
      "429 rate_limited": wrong.length - 10,
    });
  });

  it("of codes on one mfa_token gets 5 checked; the rest are refused unchecked", async () => {
    const user = await enrolled();
    const mfaToken = await firstStep(user);
    const results = await burst(20, (i) => verify(mfaToken, { recovery_code: `wrong-${i}` }));
    const counts = tally(results);
    expect(counts["400 invalid_mfa_code"]).toBe(5);
    // The token died at its limit (401); MFA_LIMITER's per-account count refused some first (429).
    expect((counts["401 invalid_mfa_token"] ?? 0) + (counts["429 rate_limited"] ?? 0)).toBe(15);
  });

  it("MFA_LIMITER counts per account as well as per IP", async () => {
    const user = await enrolled();
    const now = Math.floor(Date.now() / 1000);
    // Well signed but issued before a (pretend) password change: refused, and no code counted.
    const stale = await signClaims({
      sub: user.id,
      ver: 7,
      typ: "mfa",
      iss: ISSUER,
      aud: ISSUER,
      iat: now,
      exp: now + 200,
      jti: crypto.randomUUID(),
    });
    await expectLimitedAfter(10, () => verify(stale, { code: "123456" }));
  });
});

describe("one mfa_token, one session", () => {
  it("four valid recovery codes sent at once on one mfa_token open one session; the others stay unused", async () => {
    const user = await enrolled();
    const mfaToken = await firstStep(user);
    const codes = user.recoveryCodes.slice(0, 4);
    const results = await Promise.all(
      codes.map((code) => verify(mfaToken, { recovery_code: code })),
    );
    expect(tally(results)).toEqual({ "200": 1, "401 invalid_mfa_token": 3 });
    const winner = results.find((res) => res.status === 200);
    expect(winner?.json.recovery_codes_left).toBe(9);
    const [row] = await db<{ n: number }>(
      "select count(*)::int as n from mfa_recovery_codes where user_id = $1",
      [user.id],
    );
    expect(Number(row?.n)).toBe(9);
    // The enrolling session and the one login: two.
    const sessions = await call("/auth/sessions", { token: user.token });
    expect(sessions.json).toHaveLength(2);
    const loser = codes.find((_, i) => results[i]?.status !== 200) ?? "";
    const again = await verify(await firstStep(user), { recovery_code: loser });
    expect(again.status, again.text).toBe(200);
  });

  it("two valid TOTP codes (this step and the next) sent at once on one mfa_token open one session", async () => {
    const user = await enrolled();
    const mfaToken = await firstStep(user);
    const step = await steadyStep();
    const results = await Promise.all(
      [0, 1].map((offset) => verify(mfaToken, { code: codeAt(user.secret, step, offset) })),
    );
    expect(tally(results)).toEqual({ "200": 1, "401 invalid_mfa_token": 1 });
  });
});

describe("without MFA_ENCRYPTION_KEY", () => {
  it("setup is 503 mfa_unavailable and nothing else breaks", async () => {
    const session = await signUp();
    expectProblem(await setup(session.token, NO_KEY), 503, "mfa_unavailable");
    const login = await call("/auth/login", {
      body: { email: session.email, password: PASSWORD },
      env: NO_KEY,
    });
    expect(login.status, login.text).toBe(200);
    expect((await me(login.json.access_token, NO_KEY)).status).toBe(200);
  });

  it("an MFA user is not let in on the password alone: 503 after the right password", async () => {
    const user = await enrolled();
    const body = { email: user.email, password: PASSWORD };
    expectProblem(await call("/auth/login", { body, env: NO_KEY }), 503, "mfa_unavailable");
    expectProblem(
      await call("/auth/login", { body: { ...body, password: "Wrong-Password-88" }, env: NO_KEY }),
      401,
      "invalid_credentials",
    );
  });

  it("a key that is not base64 of 32 bytes is a configuration error", async () => {
    for (const key of ["short", "not base64 at all but long enough to pass a length check!!"]) {
      const res = await call("/health", { env: { MFA_ENCRYPTION_KEY: key } });
      expect(expectProblem(res, 500, "configuration_error").detail).toContain("MFA_ENCRYPTION_KEY");
    }
  });
});
