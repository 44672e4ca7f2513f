// Passkeys (WebAuthn): registration for a signed-in user, usernameless and email-first login, and
// their management. @simplewebauthn/server checks the ceremonies (scripts/webauthn-trim.ts says
// which of its parts the Worker carries); this module keeps the challenges and the credentials.

import { decodeBase64urlIgnorePadding } from "@oslojs/encoding";
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { and, eq, gt, type SQL, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { deleteBatch } from "../db/batches";
import type { Db } from "../db/client";
import { violatedUniqueConstraint } from "../db/errors";
import { rowOf } from "../db/rows";
import {
  type PasskeyRow,
  passkeys,
  refreshTokens,
  type UserRow,
  users,
  webauthnChallenges,
} from "../db/schema";
import type { Config } from "../env";
import { base64url, derivedToken } from "../lib/crypto";
import { problems } from "../lib/problems";
import { assertCallerLive, type Caller, callerIsLive } from "./caller";
import { type EventContext, eventOf, recordEvents, runRecorded } from "./events";
import { verifyCurrentPassword } from "./users";

/** Seconds a ceremony's challenge lives, and the client's timeout for it. */
export const CHALLENGE_SECONDS = 300;
/** Without `current_password`, registration needs a login at most this many seconds ago. */
export const RECENT_LOGIN_SECONDS = 300;
/** Passkeys one account may hold: enough for every device a person has, and a bounded list. */
export const MAX_PASSKEYS = 25;
/** COSE algorithms accepted: EdDSA, ES256 and RS256 (what authenticators in use make). */
const SUPPORTED_ALGORITHMS = [-8, -7, -257];

type Ceremony = "register" | "login";

export type WebauthnConfig = Pick<
  Config,
  "WEBAUTHN_RP_ID" | "WEBAUTHN_RP_NAME" | "webauthnOrigins" | "JWT_SECRET"
>;

/** What a started ceremony hands the client: the challenge's id and the options to pass on. */
export type Started<Options> = { challengeId: string; options: Options };

const encoder = new TextEncoder();

/** The user handle of an account: its id, as the bytes authenticators store with the passkey. */
const userHandleOf = (userId: string) => new Uint8Array(encoder.encode(userId));

/** A fresh challenge: 256 random bits, and their base64url form as the options carry it. */
function newChallenge() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return { bytes, text: base64url(bytes) };
}

const storeChallenge = (
  db: Db,
  id: string,
  challenge: string,
  ceremony: Ceremony,
  userId: string | null,
) =>
  db.insert(webauthnChallenges).values({
    id,
    challenge,
    ceremony,
    userId,
    expiresAt: sql`now() + make_interval(secs => ${CHALLENGE_SECONDS})`,
  });

/**
 * Spends a challenge: the statement that deletes it is the one that hands it out, so of any
 * number of verifications of one challenge, sent at once or one after another, one gets it. Only
 * a live challenge of the ceremony (and, for a registration, of the user) is spent.
 */
const spendChallenge = (db: Db, id: string, ceremony: Ceremony, userId?: string) =>
  db
    .delete(webauthnChallenges)
    .where(
      and(
        eq(webauthnChallenges.id, id),
        eq(webauthnChallenges.ceremony, ceremony),
        userId === undefined ? undefined : eq(webauthnChallenges.userId, userId),
        gt(webauthnChallenges.expiresAt, sql`now()`),
      ),
    )
    .returning({ challenge: webauthnChallenges.challenge });

/**
 * Registration options for the caller, after re-authentication: `current_password` (counted per
 * user before it is checked, like every current-password check), or else a session whose login
 * was at most RECENT_LOGIN_SECONDS ago. `excludeCredentials` lists the user's passkeys, so an
 * authenticator that holds one already declines to make another.
 */
export async function startRegistration(
  db: Db,
  config: WebauthnConfig,
  user: UserRow,
  sessionId: string,
  currentPassword: string | undefined,
): Promise<Started<PublicKeyCredentialCreationOptionsJSON>> {
  if (currentPassword !== undefined) await verifyCurrentPassword(db, user, currentPassword);
  const [session, existing] = await db.batch([
    db
      .select({
        recent: sql<boolean>`${refreshTokens.sessionStartedAt} > now() - make_interval(secs => ${RECENT_LOGIN_SECONDS})`,
      })
      .from(refreshTokens)
      .where(eq(refreshTokens.familyId, sessionId))
      .limit(1),
    db
      .select({ credentialId: passkeys.credentialId, transports: passkeys.transports })
      .from(passkeys)
      .where(eq(passkeys.userId, user.id))
      .limit(MAX_PASSKEYS),
  ]);
  if (currentPassword === undefined && !session[0]?.recent) {
    throw problems.invalidFields([
      {
        path: "current_password",
        message: `is required: this session's login was more than ${RECENT_LOGIN_SECONDS / 60} minutes ago`,
      },
    ]);
  }
  if (existing.length >= MAX_PASSKEYS) throw problems.tooManyPasskeys();
  const challenge = newChallenge();
  const options = await generateRegistrationOptions({
    rpName: config.WEBAUTHN_RP_NAME,
    rpID: config.WEBAUTHN_RP_ID,
    userName: user.email,
    userDisplayName: `${user.firstName} ${user.lastName}`,
    userID: userHandleOf(user.id),
    challenge: challenge.bytes,
    timeout: CHALLENGE_SECONDS * 1000,
    attestationType: "none",
    excludeCredentials: existing.map((passkey) => ({
      id: passkey.credentialId,
      transports: passkey.transports,
    })),
    authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  });
  const challengeId = uuidv7();
  await storeChallenge(db, challengeId, challenge.text, "register", user.id);
  return { challengeId, options };
}

/**
 * Verifies a new passkey of the caller against the challenge of their own registration (spent
 * whether or not the response verifies) and stores it, recording `passkey.added` in the same
 * statement. Anything wrong (an unknown, expired, used or someone else's challenge, a response
 * that does not verify, a credential registered already): 400 invalid_passkey_response.
 */
export async function finishRegistration(
  db: Db,
  config: WebauthnConfig,
  user: UserRow,
  request: { challengeId: string; response: RegistrationResponseJSON; name?: string },
  context: EventContext,
): Promise<PasskeyRow> {
  const [spent] = await spendChallenge(db, request.challengeId, "register", user.id);
  if (!spent) throw problems.invalidPasskeyResponse();
  const verification = await verifyRegistrationResponse({
    response: request.response,
    expectedChallenge: spent.challenge,
    expectedOrigin: config.webauthnOrigins,
    expectedRPID: config.WEBAUTHN_RP_ID,
    requireUserVerification: true,
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  }).catch(() => undefined);
  const info = verification?.verified ? verification.registrationInfo : undefined;
  if (!info) throw problems.invalidPasskeyResponse();
  const { credential } = info;
  const id = uuidv7();
  const values = sql.join(
    [
      sql`${id}::uuid`,
      sql`${user.id}::uuid`,
      sql`${credential.id}`,
      sql`${base64url(credential.publicKey)}`,
      sql`${credential.counter}::bigint`,
      // A JS array in drizzle's sql becomes a list of parameters, not one array: pass JSON.
      sql`array(select jsonb_array_elements_text(${JSON.stringify(credential.transports ?? [])}::jsonb))`,
      sql`${info.credentialDeviceType === "multiDevice" ? "multi_device" : "single_device"}`,
      sql`${info.credentialBackedUp}::boolean`,
      sql`${request.name ?? "Passkey"}`,
    ],
    sql`, `,
  );
  let rows: Record<string, unknown>[];
  try {
    rows = await runRecorded(
      db,
      sql`insert into ${passkeys} (id, user_id, credential_id, public_key, counter, transports,
          device_type, backed_up, name)
        select ${values}
        where (select count(*) from ${passkeys} where user_id = ${user.id}) < ${MAX_PASSKEYS}
        returning *`,
      context,
      sql`select user_id, 'passkey.added', jsonb_build_object('passkey_id', id, 'name', name)
        from changed`,
    );
  } catch (error) {
    // The authenticator's credential is some account's passkey already.
    if (violatedUniqueConstraint(error) === "passkeys_credential_id_key") {
      throw problems.invalidPasskeyResponse();
    }
    throw error;
  }
  const [row] = rows;
  if (!row) throw problems.tooManyPasskeys();
  return rowOf(passkeys, row);
}

/**
 * The credential an email-first login offers for an account without passkeys, or none at all:
 * made from the email with a server key, so it is the same on every request for that email and
 * unlike any other, and its length and transports vary between emails as real ones do. Nobody
 * can tell it from a real passkey's id without trying it.
 */
async function decoyCredential(secret: string, email: string) {
  const derived = async (purpose: string) =>
    decodeBase64urlIgnorePadding(await derivedToken(secret, purpose, email.toLowerCase()));
  const [id, shape] = await Promise.all([derived("passkey-decoy"), derived("passkey-decoy-shape")]);
  // The lengths of the credential ids of common authenticators (16, 20 and 32 bytes).
  const lengths = [16, 20, 32];
  const transports = [["hybrid", "internal"], ["internal"]];
  return {
    id: base64url(id.subarray(0, lengths[(shape[0] ?? 0) % lengths.length])),
    transports: transports[(shape[1] ?? 0) % transports.length],
  };
}

/**
 * Login options: without an email, for a discoverable credential (the authenticator offers the
 * passkeys it holds for this relying party); with one, `allowCredentials` lists the account's
 * passkeys, and an account that does not exist (or has no passkey) gets one decoy credential,
 * stable per email, through the same statements, so the answer tells nothing about the account.
 */
export async function startLogin(
  db: Db,
  config: WebauthnConfig,
  email: string | undefined,
): Promise<Started<PublicKeyCredentialRequestOptionsJSON>> {
  const challenge = newChallenge();
  const challengeId = uuidv7();
  const decoy = email === undefined ? undefined : await decoyCredential(config.JWT_SECRET, email);
  const store = storeChallenge(db, challengeId, challenge.text, "login", null);
  let allowCredentials: { id: string; transports?: string[] }[] | undefined;
  if (email === undefined || !decoy) {
    await store;
  } else {
    const [, found] = await db.batch([
      store,
      db
        .select({ id: passkeys.credentialId, transports: passkeys.transports })
        .from(passkeys)
        .innerJoin(users, eq(users.id, passkeys.userId))
        .where(sql`lower(${users.email}) = lower(${email})`)
        .orderBy(passkeys.createdAt)
        .limit(MAX_PASSKEYS),
    ]);
    allowCredentials =
      found.length > 0
        ? found.map((passkey) => ({ id: passkey.id, transports: passkey.transports }))
        : [decoy];
  }
  const options = await generateAuthenticationOptions({
    rpID: config.WEBAUTHN_RP_ID,
    challenge: challenge.bytes,
    timeout: CHALLENGE_SECONDS * 1000,
    userVerification: "required",
    allowCredentials,
  });
  return { challengeId, options };
}

/**
 * Verifies a login assertion: a live login challenge (spent in the statement that reads the
 * credential, whatever follows), a known credential, the user it belongs to (the user handle,
 * when the authenticator sends one, must name the same account), a signature by its key over
 * this challenge, origin and RP ID, with user verification: a passkey that verified its user is
 * two factors, so MFA asks for nothing more. A signature counter that did not move forward
 * (unless the authenticator keeps none: 0 and 0) means a cloned authenticator: refused, and
 * recorded as `passkey.counter_regressed`. Every refusal is the same 401 invalid_credentials;
 * one for a known credential is recorded as `login.failed`. Answers the user and the statement
 * that stores the passkey's new counter, to run with the session's.
 */
export async function finishLogin(
  db: Db,
  config: WebauthnConfig & Pick<Config, "REQUIRE_VERIFIED_EMAIL">,
  request: { challengeId: string; response: AuthenticationResponseJSON },
  context: EventContext,
): Promise<{ user: UserRow; alongside: SQL }> {
  const { response } = request;
  const [[spent], [found]] = await db.batch([
    spendChallenge(db, request.challengeId, "login"),
    db
      .select({ passkey: passkeys, user: users })
      .from(passkeys)
      .innerJoin(users, eq(users.id, passkeys.userId))
      .where(eq(passkeys.credentialId, response.id))
      .limit(1),
  ]);
  if (!found) throw problems.invalidCredentials();
  const { passkey, user } = found;
  const refuse = async (event: "login.failed" | "passkey.counter_regressed", detail: object) => {
    await recordEvents(db, { ...context, actorId: null }, eventOf(user.id, event, detail));
    return problems.invalidCredentials();
  };
  const failed = { method: "passkey", passkey_id: passkey.id };
  const handle = response.response.userHandle;
  if (!spent || (handle !== undefined && handle !== base64url(userHandleOf(user.id)))) {
    throw await refuse("login.failed", failed);
  }
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge: spent.challenge,
    expectedOrigin: config.webauthnOrigins,
    expectedRPID: config.WEBAUTHN_RP_ID,
    // The counter is compared below, where a regression can be recorded; the library's own
    // check would only throw.
    credential: {
      id: passkey.credentialId,
      publicKey: new Uint8Array(decodeBase64urlIgnorePadding(passkey.publicKey)),
      counter: 0,
      transports: passkey.transports,
    },
    requireUserVerification: true,
  }).catch(() => undefined);
  if (!verification?.verified) throw await refuse("login.failed", failed);
  const { newCounter, credentialBackedUp } = verification.authenticationInfo;
  if ((passkey.counter > 0 || newCounter > 0) && newCounter <= passkey.counter) {
    throw await refuse("passkey.counter_regressed", {
      passkey_id: passkey.id,
      stored_counter: passkey.counter,
      presented_counter: newCounter,
    });
  }
  if (!user.active) throw await refuse("login.failed", failed);
  // As for a password: only once the passkey verified, so it tells nothing to anyone else.
  if (config.REQUIRE_VERIFIED_EMAIL && !user.emailVerified) throw problems.emailNotVerified();
  const alongside = sql`update ${passkeys} set counter = greatest(counter, ${newCounter}::bigint),
    backed_up = ${credentialBackedUp}, last_used_at = now() where id = ${passkey.id}`;
  return { user, alongside };
}

/** A passkey as its user and admins see it. */
export type PasskeyInfo = Pick<
  PasskeyRow,
  "id" | "name" | "createdAt" | "lastUsedAt" | "backedUp" | "deviceType" | "transports"
>;

type ListedRow = {
  live: boolean;
  user_exists: boolean;
  passkeys: {
    id: string;
    name: string;
    created_at: string;
    last_used_at: string | null;
    backed_up: boolean;
    device_type: string;
    transports: string[];
  }[];
};

/**
 * The user's passkeys, newest first, with the caller's authentication in the same statement (one
 * round trip). At most MAX_PASSKEYS exist, so the list needs no pages. `mustExist`: an unknown
 * user is 404 (an admin's view), rather than an empty list.
 */
export async function listPasskeys(
  db: Db,
  caller: Caller,
  userId: string,
  options: { mustExist?: boolean } = {},
): Promise<PasskeyInfo[]> {
  const result = await db.execute<ListedRow>(sql`
    select ${callerIsLive(caller)} as live,
      exists (select 1 from ${users} where id = ${userId}) as user_exists,
      coalesce((select json_agg(p order by p.created_at desc, p.id desc) from (
        select id, name, created_at, last_used_at, backed_up, device_type, transports
        from ${passkeys} where user_id = ${userId}
        order by created_at desc limit ${MAX_PASSKEYS}) p), '[]'::json) as passkeys`);
  const row = result.rows[0];
  await assertCallerLive(db, caller, row?.live ?? false);
  if (options.mustExist && !row?.user_exists) throw problems.notFound("user");
  return (row?.passkeys ?? []).map((passkey) => ({
    id: passkey.id,
    name: passkey.name,
    createdAt: new Date(passkey.created_at),
    lastUsedAt: passkey.last_used_at === null ? null : new Date(passkey.last_used_at),
    backedUp: passkey.backed_up,
    deviceType: passkey.device_type,
    transports: passkey.transports,
  }));
}

/** Renames one of the caller's passkeys; someone else's or an unknown one is 404. */
export async function renamePasskey(
  db: Db,
  caller: Caller,
  passkeyId: string,
  name: string,
): Promise<PasskeyRow> {
  const [row] = await db
    .update(passkeys)
    .set({ name })
    .where(and(eq(passkeys.id, passkeyId), eq(passkeys.userId, caller.sub), callerIsLive(caller)))
    .returning();
  if (row) return row;
  await assertCallerLive(db, caller, undefined);
  throw problems.notFound("passkey");
}

/**
 * Removes a passkey of the user (the caller's own, or anyone's for an admin, who is then the
 * event's actor), recording `passkey.removed` in the same statement, which also authenticates
 * the caller. A passkey of another user, or an unknown one, is 404.
 */
export async function removePasskey(
  db: Db,
  caller: Caller,
  target: { userId: string; passkeyId: string },
  context: EventContext,
): Promise<void> {
  const [row] = await runRecorded(
    db,
    db
      .delete(passkeys)
      .where(
        and(
          eq(passkeys.id, target.passkeyId),
          eq(passkeys.userId, target.userId),
          callerIsLive(caller),
        ),
      )
      .returning({ id: passkeys.id, userId: passkeys.userId, name: passkeys.name }),
    context,
    sql`select user_id, 'passkey.removed', jsonb_build_object('passkey_id', id, 'name', name)
      from changed`,
  );
  if (row) return;
  await assertCallerLive(db, caller, undefined);
  throw problems.notFound("passkey");
}

/** The cron's share: challenges past their lifetime, at most `limit` per call. */
export function deleteExpiredChallenges(db: Db, limit: number): Promise<number> {
  return deleteBatch(db, webauthnChallenges, sql`${webauthnChallenges.expiresAt} < now()`, limit);
}
