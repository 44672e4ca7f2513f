// Passkeys (WebAuthn) through the public API, with a software authenticator that builds the
// credentials, attestations and assertions itself: registration and its re-authentication,
// usernameless and email-first login, every refusal of both ceremonies, counters, challenges
// (single use, lifetime, ceremony, owner), management, limits and the cron.
import { describe, expect, it } from "vitest";
import { createDb } from "../src/db/client";
import { type Bindings, loadConfig } from "../src/env";
import { pseudonym } from "../src/lib/pseudonym";
import { totpCode, totpStep } from "../src/lib/totp";
import { cleanUp } from "../src/services/housekeeping";
import { b64url, FLAGS, SoftAuthenticator, type Tamper } from "./helpers/authenticator";
import {
  db,
  login,
  PASSWORD,
  registerUser,
  type Session,
  setActive,
  signUp,
} from "./helpers/factories";
import { burst, expectLimitedAfter, tally } from "./helpers/rate-limits";
import { me } from "./helpers/sessions";
import { type CallResult, call, expectProblem, randomIp, testEnv } from "./helpers/worker";

type Options = { challenge_id: string; options: Record<string, unknown> & { challenge: string } };

function registerOptions(session: Session, body: unknown = { current_password: PASSWORD }) {
  return call("/auth/passkeys/register/options", { body, token: session.token });
}

function registerVerify(session: Session, body: unknown) {
  return call("/auth/passkeys/register/verify", { body, token: session.token });
}

async function startedRegistration(session: Session): Promise<Options> {
  const res = await registerOptions(session);
  expect(res.status, res.text).toBe(200);
  return res.json;
}

/** Adds a passkey made by `authenticator` (a new one unless given) to the user. */
async function addPasskey(
  session: Session,
  authenticator = new SoftAuthenticator(),
  name?: string,
) {
  const started = await startedRegistration(session);
  const response = await authenticator.create(started.options as never);
  const res = await registerVerify(session, {
    challenge_id: started.challenge_id,
    response,
    ...(name === undefined ? {} : { name }),
  });
  expect(res.status, res.text).toBe(201);
  return { passkey: res.json, authenticator, options: started.options };
}

/** A registration whose response the authenticator made wrong in one way. */
async function tamperedRegistration(session: Session, tamper: Tamper) {
  const started = await startedRegistration(session);
  const response = await new SoftAuthenticator().create(started.options as never, tamper);
  return registerVerify(session, { challenge_id: started.challenge_id, response });
}

function loginOptions(body: unknown = {}, ip?: string) {
  return call("/auth/passkeys/login/options", {
    body,
    headers: ip ? { "CF-Connecting-IP": ip } : undefined,
  });
}

async function startedLogin(body: unknown = {}): Promise<Options> {
  const res = await loginOptions(body);
  expect(res.status, res.text).toBe(200);
  return res.json;
}

function loginVerify(body: unknown) {
  return call("/auth/passkeys/login/verify", { body });
}

/** A whole passkey login: options (usernameless unless `body` names an email), assertion, verify. */
async function passkeyLogin(authenticator: SoftAuthenticator, tamper: Tamper = {}, body = {}) {
  const started = await startedLogin(body);
  const response = await authenticator.get(started.options as never, tamper);
  return loginVerify({ challenge_id: started.challenge_id, response });
}

const expectRefused = (res: CallResult) => expectProblem(res, 401, "invalid_credentials");
const expectInvalidResponse = (res: CallResult) =>
  expectProblem(res, 400, "invalid_passkey_response");

async function events(token: string, userId: string) {
  const res = await call(`/users/${userId}/events?per_page=100`, { token });
  expect(res.status, res.text).toBe(200);
  return res.json as { type: string; actor_id: string | null; detail: Record<string, unknown> }[];
}

/** Moves the login of the user's sessions back, past the 5 minutes that count as recent. */
const ageLogins = (userId: string) =>
  db(
    "update refresh_tokens set session_started_at = now() - interval '6 minutes' where user_id = $1",
    [userId],
  );

const expireChallenge = (id: string) =>
  db("update webauthn_challenges set expires_at = now() - interval '1 second' where id = $1", [id]);

describe("registration", () => {
  it("adds a passkey after the current password, with the options the contract asks for", async () => {
    const session = await signUp();
    const started = await startedRegistration(session);
    expect(Object.keys(started).sort()).toEqual(["challenge_id", "options"]);
    // biome-ignore lint/suspicious/noExplicitAny: the options are checked field by field.
    const options = started.options as any;
    expect(options.rp).toEqual({ name: "Acme Accounts", id: "localhost" });
    expect(options.user).toMatchObject({ name: session.email, displayName: "Test User" });
    expect(options.attestation).toBe("none");
    expect(options.authenticatorSelection).toMatchObject({
      residentKey: "preferred",
      userVerification: "required",
    });
    expect(options.excludeCredentials).toEqual([]);
    expect(options.timeout).toBe(300_000);
    expect((options.pubKeyCredParams as { alg: number }[]).map((p) => p.alg)).toEqual([
      -8, -7, -257,
    ]);
    const authenticator = new SoftAuthenticator();
    const response = await authenticator.create(started.options as never);
    const res = await registerVerify(session, {
      challenge_id: started.challenge_id,
      response,
      name: "  Work laptop ",
    });
    expect(res.status, res.text).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(Object.keys(res.json).sort()).toEqual([
      "backed_up",
      "created_at",
      "device_type",
      "id",
      "last_used_at",
      "name",
      "transports",
    ]);
    expect(res.json).toMatchObject({
      name: "Work laptop",
      last_used_at: null,
      backed_up: false,
      device_type: "single_device",
      transports: ["internal", "hybrid"],
    });
    const [stored] = await db<{ credential_id: string; counter: string }>(
      "select credential_id, counter from passkeys where id = $1",
      [res.json.id],
    );
    expect(stored?.credential_id).toBe(response.id);
    const added = (await events(session.token, session.id)).find(
      (event) => event.type === "passkey.added",
    );
    expect(added?.detail).toEqual({ passkey_id: res.json.id, name: "Work laptop" });
  });

  it("stores a synced passkey's backup state", async () => {
    const session = await signUp();
    const started = await startedRegistration(session);
    const response = await new SoftAuthenticator().create(started.options as never, {
      flags: FLAGS.UP | FLAGS.UV | FLAGS.AT | FLAGS.BE | FLAGS.BS,
    });
    const res = await registerVerify(session, { challenge_id: started.challenge_id, response });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({
      backed_up: true,
      device_type: "multi_device",
      name: "Passkey",
    });
  });

  it("needs no password within 5 minutes of the login, and asks for it after that", async () => {
    const session = await signUp();
    const fresh = await registerOptions(session, {});
    expect(fresh.status, fresh.text).toBe(200);
    const noBody = await call("/auth/passkeys/register/options", {
      method: "POST",
      token: session.token,
    });
    expect(noBody.status, noBody.text).toBe(200);
    await ageLogins(session.id);
    const stale = await registerOptions(session, {});
    const problem = expectProblem(stale, 422, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toEqual(["current_password"]);
    expect((await registerOptions(session)).status).toBe(200);
  });

  it("refuses a wrong current password, counted before it is checked: 5 checked of 20 at once", async () => {
    const session = await signUp();
    const wrong = await registerOptions(session, { current_password: "Not-The-Password-1" });
    expectProblem(wrong, 400, "invalid_current_password");
    const results = await burst(20, () =>
      registerOptions(session, { current_password: "Not-The-Password-2" }),
    );
    const counts = tally(results);
    // One wrong answer came before the burst: at most 4 more are checked.
    expect(counts["400 invalid_current_password"] ?? 0).toBeLessThanOrEqual(4);
    expect((counts["400 invalid_current_password"] ?? 0) + (counts["429 rate_limited"] ?? 0)).toBe(
      20,
    );
    // Now even the right password is refused until the window ends.
    expectProblem(await registerOptions(session), 429, "rate_limited");
  });

  it("lists the account's passkeys in excludeCredentials", async () => {
    const session = await signUp();
    const first = await addPasskey(session);
    const second = await addPasskey(session);
    const started = await startedRegistration(session);
    const excluded = started.options.excludeCredentials as { id: string; transports: string[] }[];
    expect(excluded.map((credential) => credential.id).sort()).toEqual(
      [first, second]
        .map((added) => b64url(added.authenticator.credentials[0]?.id ?? new Uint8Array()))
        .sort(),
    );
    expect(excluded.every((credential) => credential.transports.includes("internal"))).toBe(true);
    // Another user's passkeys are not theirs to exclude.
    const other = await signUp();
    expect((await startedRegistration(other)).options.excludeCredentials).toEqual([]);
  });

  it.each<[string, Tamper]>([
    ["a page of another origin", { origin: "https://evil.example" }],
    ["another relying party's ID hash", { rpId: "evil.example" }],
    ["no user verification", { flags: FLAGS.UP | FLAGS.AT }],
    ["the wrong client data type", { type: "webauthn.get" }],
    ["another challenge", { challenge: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }],
    // The Worker verifies no attestation certificates (scripts/webauthn-trim.ts).
    ["an attestation format other than none", { fmt: "packed" }],
  ])("refuses a response with %s: 400 invalid_passkey_response", async (_, tamper) => {
    const session = await signUp();
    expectInvalidResponse(await tamperedRegistration(session, tamper));
    const list = await call("/auth/passkeys", { token: session.token });
    expect(list.json).toEqual([]);
  });

  it("spends the challenge: a second verify with it is refused, even after a failure", async () => {
    const session = await signUp();
    const started = await startedRegistration(session);
    const authenticator = new SoftAuthenticator();
    const response = await authenticator.create(started.options as never);
    const body = { challenge_id: started.challenge_id, response };
    expect((await registerVerify(session, body)).status).toBe(201);
    expectInvalidResponse(await registerVerify(session, body));

    const again = await startedRegistration(session);
    const bad = await authenticator.create(again.options as never, { origin: "https://x.test" });
    expectInvalidResponse(
      await registerVerify(session, { challenge_id: again.challenge_id, response: bad }),
    );
    const good = await authenticator.create(again.options as never);
    expectInvalidResponse(
      await registerVerify(session, { challenge_id: again.challenge_id, response: good }),
    );
  });

  it("refuses an expired challenge, another user's, a login challenge and an unknown one", async () => {
    const session = await signUp();
    const other = await signUp();
    const authenticator = new SoftAuthenticator();

    const expired = await startedRegistration(session);
    await expireChallenge(expired.challenge_id);
    const late = await authenticator.create(expired.options as never);
    expectInvalidResponse(
      await registerVerify(session, { challenge_id: expired.challenge_id, response: late }),
    );

    const theirs = await startedRegistration(other);
    const stolen = await authenticator.create(theirs.options as never);
    expectInvalidResponse(
      await registerVerify(session, { challenge_id: theirs.challenge_id, response: stolen }),
    );
    // Not spent by the refusal: its owner can still use it.
    const own = await new SoftAuthenticator().create(theirs.options as never);
    expect(
      (await registerVerify(other, { challenge_id: theirs.challenge_id, response: own })).status,
    ).toBe(201);

    const forLogin = await startedLogin();
    const mixed = await authenticator.create({
      challenge: forLogin.options.challenge,
      user: { id: "dXNlcg" },
      rp: { id: "localhost" },
    });
    expectInvalidResponse(
      await registerVerify(session, { challenge_id: forLogin.challenge_id, response: mixed }),
    );

    expectInvalidResponse(
      await registerVerify(session, { challenge_id: crypto.randomUUID(), response: mixed }),
    );
  });

  it("refuses malformed bodies with 422 and needs an access token", async () => {
    const session = await signUp();
    const started = await startedRegistration(session);
    const res = await registerVerify(session, {
      challenge_id: started.challenge_id,
      response: { id: "not base64url!", type: "public-key" },
    });
    expectProblem(res, 422, "validation_failed");
    expectProblem(await call("/auth/passkeys/register/options", { body: {} }), 401, "unauthorized");
    expectProblem(
      await registerOptions(session, { current_password: PASSWORD, role: "ADMIN" }),
      422,
      "validation_failed",
    );
  });
});

describe("login", () => {
  it("logs in usernameless with the normal login response, recorded with its method", async () => {
    const session = await signUp();
    const { passkey, authenticator } = await addPasskey(session);
    const started = await startedLogin();
    expect(started.options).toMatchObject({ rpId: "localhost", userVerification: "required" });
    expect(started.options.allowCredentials).toBeUndefined();
    const response = await authenticator.get(started.options as never);
    const res = await loginVerify({ challenge_id: started.challenge_id, response });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(Object.keys(res.json).sort()).toEqual([
      "access_token",
      "expires_in",
      "refresh_token",
      "token_type",
      "user",
    ]);
    expect(res.json.user.id).toBe(session.id);
    expect((await me(res.json.access_token)).json.id).toBe(session.id);
    const logins = (await events(session.token, session.id)).filter(
      (event) => event.type === "login.succeeded",
    );
    expect(logins.map((event) => event.detail.method)).toEqual(["passkey", "password"]);
    const list = await call("/auth/passkeys", { token: session.token });
    expect(list.json[0].id).toBe(passkey.id);
    expect(list.json[0].last_used_at).not.toBeNull();
  });

  it("logs in email-first: allowCredentials lists the account's passkeys", async () => {
    const session = await signUp();
    const first = await addPasskey(session);
    await addPasskey(session, first.authenticator);
    const started = await startedLogin({ email: session.email.toUpperCase() });
    const allowed = started.options.allowCredentials as { id: string; type: string }[];
    expect(allowed.map((credential) => credential.id).sort()).toEqual(
      (
        await db<{ credential_id: string }>(
          "select credential_id from passkeys where user_id = $1",
          [session.id],
        )
      )
        .map((row) => row.credential_id)
        .sort(),
    );
    const response = await first.authenticator.get(started.options as never);
    const res = await loginVerify({ challenge_id: started.challenge_id, response });
    expect(res.status, res.text).toBe(200);
  });

  it("gives an unknown email options of the same shape, with a stable credential of its own", async () => {
    const known = await signUp();
    await addPasskey(known);
    const withoutPasskey = await signUp();
    const unknown = `nobody_${crypto.randomUUID()}@example.test`;
    const [a, b, c, d] = await Promise.all([
      startedLogin({ email: known.email }),
      startedLogin({ email: unknown }),
      startedLogin({ email: unknown }),
      startedLogin({ email: `other_${crypto.randomUUID()}@example.test` }),
    ]);
    const shape = (started: Options) => ({
      keys: Object.keys(started).sort(),
      options: Object.keys(started.options).sort(),
      allow: (started.options.allowCredentials as object[]).map((item) => Object.keys(item).sort()),
    });
    expect(shape(b)).toEqual(shape(a));
    const ids = (started: Options) =>
      (started.options.allowCredentials as { id: string }[]).map((item) => item.id);
    expect(ids(b)).toEqual(ids(c));
    expect(ids(b)).not.toEqual(ids(d));
    expect(b.options.challenge).not.toBe(c.options.challenge);
    expect(ids(b)[0]).toMatch(/^[A-Za-z0-9_-]{22,43}$/);
    // An account without passkeys looks like no account.
    const none = await startedLogin({ email: withoutPasskey.email });
    expect(shape(none)).toEqual(shape(b));
    expect(ids(none)).toEqual(ids(await startedLogin({ email: withoutPasskey.email })));
  });

  it("counts a user-verified passkey as two factors: no mfa_required with TOTP on", async () => {
    const session = await signUp();
    const { authenticator } = await addPasskey(session);
    const setup = await call("/auth/mfa/totp/setup", {
      body: { current_password: PASSWORD },
      token: session.token,
    });
    expect(setup.status, setup.text).toBe(200);
    const step = totpStep(Date.now() / 1000);
    const enabled = await call("/auth/mfa/totp/enable", {
      body: { code: await totpCode(setup.json.secret, step - 1) },
      token: session.token,
    });
    expect(enabled.status, enabled.text).toBe(200);
    const password = await call("/auth/login", {
      body: { email: session.email, password: PASSWORD },
    });
    expect(password.json.mfa_required).toBe(true);
    const res = await passkeyLogin(authenticator);
    expect(res.status, res.text).toBe(200);
    expect(res.json.access_token).toEqual(expect.any(String));
    expect(res.json.mfa_required).toBeUndefined();
  });

  it.each<[string, Tamper]>([
    ["a page of another origin", { origin: "https://evil.example" }],
    ["another relying party's ID hash", { rpId: "evil.example" }],
    ["no user verification", { flags: FLAGS.UP }],
    ["no user presence", { flags: FLAGS.UV }],
    ["the wrong client data type", { type: "webauthn.create" }],
    ["another challenge", { challenge: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }],
    ["another account's user handle", { userHandle: "MDE5M2E0YjItN2MxZS03ZDNh" }],
  ])("refuses an assertion with %s: 401 invalid_credentials", async (_, tamper) => {
    const session = await signUp();
    const { authenticator } = await addPasskey(session);
    expectRefused(await passkeyLogin(authenticator, tamper));
    // The same passkey still works.
    expect((await passkeyLogin(authenticator)).status).toBe(200);
  });

  it("refuses a bad signature and an unknown credential alike, and records the failure", async () => {
    const session = await signUp();
    const { passkey, authenticator } = await addPasskey(session);
    const stranger = (await crypto.subtle.generateKey(
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const forged = await passkeyLogin(authenticator, { signingKey: stranger.privateKey });
    // Registered nowhere: the software authenticator made it without telling the server.
    const lone = new SoftAuthenticator();
    await lone.create({ challenge: "AAAA", user: { id: "dXNlcg" }, rp: { id: "localhost" } });
    const unknown = await passkeyLogin(lone);
    expectRefused(forged);
    expectRefused(unknown);
    expect(forged.json.detail).toBe(unknown.json.detail);
    const failed = (await events(session.token, session.id)).find(
      (event) => event.type === "login.failed",
    );
    expect(failed?.detail).toEqual({ method: "passkey", passkey_id: passkey.id });
  });

  it("refuses an inactive account's passkey like any other failure", async () => {
    const session = await signUp();
    const { authenticator } = await addPasskey(session);
    await setActive(session.id, false);
    expectRefused(await passkeyLogin(authenticator));
    await setActive(session.id, true);
    expect((await passkeyLogin(authenticator)).status).toBe(200);
  });

  it("spends the challenge: reused, expired or a registration's is refused", async () => {
    const session = await signUp();
    const { authenticator } = await addPasskey(session);
    const started = await startedLogin();
    const response = await authenticator.get(started.options as never);
    const body = { challenge_id: started.challenge_id, response };
    expect((await loginVerify(body)).status).toBe(200);
    expectRefused(await loginVerify(body));

    const expired = await startedLogin();
    await expireChallenge(expired.challenge_id);
    const late = await authenticator.get(expired.options as never);
    expectRefused(await loginVerify({ challenge_id: expired.challenge_id, response: late }));

    const forRegistration = await startedRegistration(session);
    const mixed = await authenticator.get(forRegistration.options as never);
    expectRefused(
      await loginVerify({ challenge_id: forRegistration.challenge_id, response: mixed }),
    );
  });

  it("opens one session of one challenge, however many verifies arrive at once", async () => {
    const session = await signUp();
    const { authenticator } = await addPasskey(session);
    const started = await startedLogin();
    const response = await authenticator.get(started.options as never);
    const results = await burst(6, () =>
      loginVerify({ challenge_id: started.challenge_id, response }),
    );
    expect(tally(results)).toEqual({ "200": 1, "401 invalid_credentials": 5 });
  });

  it("refuses a counter that did not move forward, and records it", async () => {
    const session = await signUp();
    const { passkey, authenticator } = await addPasskey(session);
    expect((await passkeyLogin(authenticator, { counter: 7 })).status).toBe(200);
    expectRefused(await passkeyLogin(authenticator, { counter: 7 }));
    expectRefused(await passkeyLogin(authenticator, { counter: 3 }));
    expectRefused(await passkeyLogin(authenticator, { counter: 0 }));
    const regressions = (await events(session.token, session.id)).filter(
      (event) => event.type === "passkey.counter_regressed",
    );
    expect(regressions.map((event) => event.detail.presented_counter)).toEqual([0, 3, 7]);
    expect(regressions[0]?.detail).toEqual({
      passkey_id: passkey.id,
      stored_counter: 7,
      presented_counter: 0,
    });
    expect((await passkeyLogin(authenticator, { counter: 8 })).status).toBe(200);
  });

  it("lets an authenticator without a counter (always 0) log in again and again", async () => {
    const session = await signUp();
    const { authenticator } = await addPasskey(session);
    for (let i = 0; i < 3; i++) {
      expect((await passkeyLogin(authenticator, { counter: 0 })).status).toBe(200);
    }
  });

  it("counts its outcomes in the auth metrics, as password logins are: passkey, then failed", async () => {
    const points: { indexes: string[]; blobs: string[] }[] = [];
    const METRICS = {
      writeDataPoint: (point: { indexes: string[]; blobs: string[] }) =>
        points.push(structuredClone(point)),
    };
    const session = await signUp();
    const { authenticator } = await addPasskey(session);
    const verifyCounted = async (tamper: Tamper) => {
      const started = await startedLogin();
      const response = await authenticator.get(started.options as never, tamper);
      return call("/auth/passkeys/login/verify", {
        body: { challenge_id: started.challenge_id, response },
        env: { METRICS },
      });
    };
    expect((await verifyCounted({})).status).toBe(200);
    expectRefused(await verifyCounted({ origin: "https://evil.example" }));
    const logins = points.filter((point) => point.indexes[0] === "login");
    expect(logins.map((point) => point.blobs[0])).toEqual(["passkey", "failed"]);
    // The account is a keyed hash of its email, never the address.
    expect(logins[0]?.blobs[5]).toBe(
      await pseudonym(String(testEnv.JWT_SECRET), "email", session.email),
    );
  });

  it("is rate limited per client IP", async () => {
    const ip = randomIp();
    await expectLimitedAfter(20, () => loginOptions({}, ip));
  });

  it("refuses malformed login bodies with 422", async () => {
    expectProblem(await loginOptions({ email: "not an email" }), 422, "validation_failed");
    expectProblem(await loginOptions({ username: "alice" }), 422, "validation_failed");
    expectProblem(
      await loginVerify({ challenge_id: "nope", response: {} }),
      422,
      "validation_failed",
    );
  });
});

describe("management", () => {
  it("lists, renames and removes the caller's passkeys; a removed one logs in no more", async () => {
    const session = await signUp();
    const { passkey, authenticator } = await addPasskey(session, undefined, "Phone");
    const renamed = await call(`/auth/passkeys/${passkey.id}`, {
      method: "PATCH",
      body: { name: "Old phone" },
      token: session.token,
    });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.json).toMatchObject({ id: passkey.id, name: "Old phone" });
    const list = await call("/auth/passkeys", { token: session.token });
    expect(list.json.map((item: { name: string }) => item.name)).toEqual(["Old phone"]);
    const removed = await call(`/auth/passkeys/${passkey.id}`, {
      method: "DELETE",
      token: session.token,
    });
    expect(removed.status, removed.text).toBe(204);
    expect((await call("/auth/passkeys", { token: session.token })).json).toEqual([]);
    expectRefused(await passkeyLogin(authenticator));
    const event = (await events(session.token, session.id)).find(
      (item) => item.type === "passkey.removed",
    );
    expect(event).toMatchObject({ actor_id: session.id, detail: { passkey_id: passkey.id } });
  });

  it("answers 404 for someone else's passkey, and changes nothing", async () => {
    const owner = await signUp();
    const { passkey } = await addPasskey(owner);
    const other = await signUp();
    expectProblem(
      await call(`/auth/passkeys/${passkey.id}`, {
        method: "PATCH",
        body: { name: "Mine now" },
        token: other.token,
      }),
      404,
      "not_found",
    );
    expectProblem(
      await call(`/auth/passkeys/${passkey.id}`, { method: "DELETE", token: other.token }),
      404,
      "not_found",
    );
    expect((await call("/auth/passkeys", { token: owner.token })).json[0].name).toBe("Passkey");
  });

  it("lets an admin list and remove a user's passkeys, as the event's actor", async () => {
    const admin = await signUp({ admin: true });
    const user = await signUp();
    const { passkey } = await addPasskey(user);
    const list = await call(`/users/${user.id}/passkeys`, { token: admin.token });
    expect(list.status, list.text).toBe(200);
    expect(list.json.map((item: { id: string }) => item.id)).toEqual([passkey.id]);
    expectProblem(
      await call(`/users/${user.id}/passkeys`, { token: user.token }),
      403,
      "forbidden",
    );
    expectProblem(
      await call(`/users/${crypto.randomUUID()}/passkeys`, { token: admin.token }),
      404,
      "not_found",
    );
    // A passkey under another user's path is not found there.
    expectProblem(
      await call(`/users/${admin.id}/passkeys/${passkey.id}`, {
        method: "DELETE",
        token: admin.token,
      }),
      404,
      "not_found",
    );
    const removed = await call(`/users/${user.id}/passkeys/${passkey.id}`, {
      method: "DELETE",
      token: admin.token,
    });
    expect(removed.status, removed.text).toBe(204);
    const event = (await events(admin.token, user.id)).find(
      (item) => item.type === "passkey.removed",
    );
    expect(event?.actor_id).toBe(admin.id);
  });

  it("stops at 25 passkeys per account", async () => {
    const session = await signUp();
    const user = await db<{ id: string }>("select id from users where id = $1", [session.id]);
    expect(user).toHaveLength(1);
    await db(
      `insert into passkeys (id, user_id, credential_id, public_key, device_type, backed_up, name)
       select gen_random_uuid(), $1, 'filler-' || n, 'AA', 'single_device', false, 'Filler'
       from generate_series(1, 25) n`,
      [session.id],
    );
    expectProblem(await registerOptions(session), 409, "too_many_passkeys");
  });
});

describe("housekeeping", () => {
  it("the cron deletes expired challenges in bounded batches and keeps live ones", async () => {
    const database = () => createDb(loadConfig(testEnv as Bindings));
    // What other tests of this file left expired goes first, so the batches below see only these.
    await cleanUp(database(), { EVENTS_RETENTION_DAYS: 90 });
    const live = await startedLogin();
    const dead = await Promise.all([startedLogin(), startedLogin(), startedLogin()]);
    for (const started of dead) await expireChallenge(started.challenge_id);
    const count = async (ids: string[]) =>
      Number(
        (
          await db<{ n: number }>(
            "select count(*)::int as n from webauthn_challenges where id = any($1)",
            [ids],
          )
        )[0]?.n,
      );
    const ids = dead.map((started) => started.challenge_id);
    const bounded = await cleanUp(
      database(),
      { EVENTS_RETENTION_DAYS: 90 },
      { batch: 1, maxBatches: 2 },
    );
    expect(bounded.passkeyChallenges).toBe(2);
    expect(await count(ids)).toBe(1);
    await cleanUp(database(), { EVENTS_RETENTION_DAYS: 90 });
    expect(await count(ids)).toBe(0);
    expect(await count([live.challenge_id])).toBe(1);
  });
});

describe("registered users without passkeys", () => {
  it("still log in with their password, recorded as method password", async () => {
    const user = await registerUser();
    const { token } = await login(user.email, user.password);
    const logins = (await events(token, user.id)).filter((e) => e.type === "login.succeeded");
    expect(logins[0]?.detail).toEqual({ method: "password" });
  });
});
