import { eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { rowOf } from "../db/rows";
import { authThrottles, mfaRecoveryCodes, refreshTokens, type UserRow, users } from "../db/schema";
import type { Config } from "../env";
import { sha256Hex } from "../lib/crypto";
import { problems } from "../lib/problems";
import { type MfaClaims, signMfaToken } from "../lib/tokens";
import {
  decryptSecret,
  encryptSecret,
  generateRecoveryCode,
  generateTotpSecret,
  matchTotpStep,
  normaliseRecoveryCode,
  otpauthUrl,
  RECOVERY_CODE_COUNT,
} from "../lib/totp";
import { type EventContext, insertEvents } from "./events";
import {
  assertGranted,
  type Refusals,
  releaseStatement,
  reservation,
  reserve,
  SPENT,
  throttleKey,
} from "./rate-limits";
import { verifyCurrentPassword } from "./users";

/** A second factor as a request gives it: a TOTP code, or one of the recovery codes. */
export type SecondFactor = { code: string } | { recoveryCode: string };

/** The key that encrypts TOTP secrets; without one, MFA is unavailable (503), nothing else. */
function mfaKey(config: Pick<Config, "MFA_ENCRYPTION_KEY">): string {
  if (!config.MFA_ENCRYPTION_KEY) throw problems.mfaUnavailable();
  return config.MFA_ENCRYPTION_KEY;
}

/**
 * Starts (or restarts) TOTP enrolment, after the current password (a stolen access token alone
 * must not enrol the thief's authenticator): a new secret, stored encrypted as the user's pending
 * one (replacing any earlier pending one), shown once with its otpauth:// URL. Enabled already: 409.
 */
export async function setupTotp(
  db: Db,
  config: Pick<Config, "MFA_ENCRYPTION_KEY" | "MAIL_APP_NAME">,
  user: UserRow,
  currentPassword: string,
): Promise<{ secret: string; otpauthUrl: string }> {
  const key = mfaKey(config);
  if (user.mfaEnabled) throw problems.mfaAlreadyEnabled();
  await verifyCurrentPassword(db, user, currentPassword);
  const secret = generateTotpSecret();
  const [row] = await db
    .update(users)
    .set({ totpSecret: await encryptSecret(key, secret), totpLastStep: null })
    .where(sql`${users.id} = ${user.id} and not ${users.mfaEnabled}`)
    .returning({ id: users.id });
  if (!row) throw problems.mfaAlreadyEnabled();
  return { secret, otpauthUrl: otpauthUrl(config.MAIL_APP_NAME, user.email, secret) };
}

/** Ten fresh recovery codes, and the rows of their hashes for the user. */
async function newRecoveryCodes() {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
  const hashes = await Promise.all(codes.map((code) => sha256Hex(normaliseRecoveryCode(code))));
  return { codes, hashes };
}

/**
 * Confirms the pending secret with a first code and turns MFA on, in one statement with its
 * new recovery codes (which replace any older ones), the `mfa.enabled` event and the end of the
 * user's other sessions (opened with one factor; `sessionId` is the caller's, which goes on).
 * The code is counted per user before it is checked, and given back when right; its step counts
 * as used. Returns the recovery codes, shown this once.
 */
export async function enableTotp(
  db: Db,
  config: Pick<Config, "MFA_ENCRYPTION_KEY">,
  user: UserRow,
  sessionId: string,
  code: string,
  context: EventContext,
): Promise<{ user: UserRow; recoveryCodes: string[] }> {
  const key = mfaKey(config);
  if (user.mfaEnabled) throw problems.mfaAlreadyEnabled();
  if (!user.totpSecret) throw problems.mfaSetupRequired();
  await reserve(db, ["mfaCode", user.id]);
  const step = await matchTotpStep(await decryptSecret(key, user.totpSecret), code);
  if (step === null) throw problems.invalidMfaCode("code");
  const { codes, hashes } = await newRecoveryCodes();
  const result = await db.execute<Record<string, unknown>>(sql`
    with changed as (
      update ${users} set mfa_enabled = true, totp_last_step = ${step},
        revision = revision + 1, updated_at = now()
      where id = ${user.id} and not mfa_enabled and totp_secret = ${user.totpSecret}
      returning *
    ), cleared as (
      delete from ${mfaRecoveryCodes} where user_id in (select id from changed)
    ), stored as (
      insert into ${mfaRecoveryCodes} (user_id, code_hash)
      select changed.id, hash from changed
      cross join unnest(array[${sql.join(
        hashes.map((hash) => sql`${hash}`),
        sql`, `,
      )}]::text[]) as hash
    ), ended as (
      update ${refreshTokens} set revoked_at = now()
      where user_id in (select id from changed) and family_id <> ${sessionId}
        and revoked_at is null and expires_at > now()
      returning user_id, family_id
    ), released as (
      ${releaseStatement("mfaCode", user.id, sql`exists (select 1 from changed)`)}
    ), recorded as (
      ${insertEvents(
        context,
        sql`select id, 'mfa.enabled', '{}'::jsonb from changed
          union all
          select distinct user_id, 'session.ended', jsonb_build_object('session_id', family_id)
          from ended`,
      )}
    )
    select * from changed`);
  const raw = result.rows[0];
  // Enabled or set up anew meanwhile (another tab): this code confirmed nothing current.
  if (!raw) throw problems.changedMeanwhile();
  return { user: rowOf(users, raw), recoveryCodes: codes };
}

/**
 * Checks and spends a second factor of a user with MFA on, whose attempt the caller reserved: a
 * TOTP code of the current step ±1 that is newer than the last one accepted (so a code works
 * once), or an unused recovery code (deleted as it is used, recording `mfa.recovery_code_used`).
 * A right one gives the user's attempt back. At login, the mfa_token (its `jti`) is spent in the
 * same statement that accepts the factor, and only while it is unspent: of any number of right
 * factors sent at once on one token, one is accepted (401 invalid_mfa_token for the others, their
 * factors unspent). A wrong one is 400 invalid_mfa_code and stays counted.
 */
async function acceptSecondFactor(
  db: Db,
  config: Pick<Config, "MFA_ENCRYPTION_KEY">,
  user: UserRow,
  factor: SecondFactor,
  context: EventContext,
  jti?: string,
): Promise<{ recoveryCodesLeft?: number }> {
  const tokenKey = jti === undefined ? undefined : throttleKey("mfaToken", jti);
  // The token's row, locked: a concurrent acceptance waits, then sees the token spent.
  const tokenLive = tokenKey ? sql`and exists (select 1 from token)` : sql``;
  let accept: SQL;
  if ("code" in factor) {
    const step = user.totpSecret
      ? await matchTotpStep(await decryptSecret(mfaKey(config), user.totpSecret), factor.code)
      : null;
    if (step === null) throw problems.invalidMfaCode("code");
    accept = sql`accepted as (
      update ${users} set totp_last_step = ${step}
      where id = ${user.id} and mfa_enabled and coalesce(totp_last_step, -1) < ${step} ${tokenLive}
      returning id as user_id
    ), remaining as (select null::int as n)`;
  } else {
    const hash = await sha256Hex(normaliseRecoveryCode(factor.recoveryCode));
    accept = sql`accepted as (
      delete from ${mfaRecoveryCodes}
      where user_id = ${user.id} and code_hash = ${hash} ${tokenLive}
      returning user_id
    ), remaining as (
      select (select count(*) from ${mfaRecoveryCodes} where user_id = ${user.id})::int
        - (select count(*) from accepted)::int as n
    ), recorded as (
      ${insertEvents(
        context,
        sql`select user_id, 'mfa.recovery_code_used', jsonb_build_object('recovery_codes_left', n)
          from accepted, remaining`,
      )}
    )`;
  }
  const steps = [
    ...(tokenKey
      ? [
          sql`token as materialized (
            select key from ${authThrottles}
            where key = ${tokenKey} and failures < ${SPENT} for update)`,
        ]
      : []),
    accept,
    ...(tokenKey
      ? [
          sql`spent as (
            update ${authThrottles} set failures = ${SPENT}
            where key = ${tokenKey} and exists (select 1 from accepted))`,
        ]
      : []),
    sql`released as (${releaseStatement("mfaCode", user.id, sql`exists (select 1 from accepted)`)})`,
  ];
  const result = await db.execute<{ accepted: number; token_live: number; remaining: number }>(sql`
    with ${sql.join(steps, sql`, `)}
    select (select count(*) from accepted)::int as accepted,
      ${tokenKey ? sql`(select count(*) from token)::int` : sql`1`} as token_live,
      (select n from remaining) as remaining`);
  const outcome = result.rows[0];
  if (Number(outcome?.token_live) === 0) throw problems.invalidMfaToken();
  if (!outcome || Number(outcome.accepted) === 0) {
    throw problems.invalidMfaCode("code" in factor ? "code" : "recovery_code");
  }
  return "code" in factor ? {} : { recoveryCodesLeft: Number(outcome.remaining) };
}

/**
 * Turns MFA off for the caller, who proves both the password and a second factor (each counted
 * before it is checked): the secret, the last step and every recovery code go, recorded as
 * `mfa.disabled`.
 */
export async function disableTotp(
  db: Db,
  config: Pick<Config, "MFA_ENCRYPTION_KEY">,
  user: UserRow,
  proof: { currentPassword: string; factor: SecondFactor },
  context: EventContext,
): Promise<UserRow> {
  if (!user.mfaEnabled) throw problems.mfaNotEnabled();
  await verifyCurrentPassword(db, user, proof.currentPassword);
  await reserve(db, ["mfaCode", user.id]);
  await acceptSecondFactor(db, config, user, proof.factor, context);
  const row = await turnMfaOff(db, user.id, context);
  if (!row) throw problems.mfaNotEnabled();
  return row;
}

/** MFA off in one statement with its recovery codes and the `mfa.disabled` event. */
async function turnMfaOff(db: Db, userId: string, context: EventContext) {
  const result = await db.execute<Record<string, unknown>>(sql`
    with changed as (
      update ${users} set mfa_enabled = false, totp_secret = null, totp_last_step = null,
        revision = revision + 1, updated_at = now()
      where id = ${userId} and mfa_enabled
      returning *
    ), cleared as (
      delete from ${mfaRecoveryCodes} where user_id in (select id from changed)
    ), recorded as (
      ${insertEvents(context, sql`select id, 'mfa.disabled', '{}'::jsonb from changed`)}
    )
    select * from changed`);
  const raw = result.rows[0];
  return raw ? rowOf(users, raw) : undefined;
}

/**
 * An admin's reset of another user's MFA (a lost phone and lost recovery codes); the admin is the
 * actor. Their own goes through the self-service disable, with password and factor, like
 * everyone's: a stolen admin token must not strip the admin's own second factor.
 */
export async function resetMfa(
  db: Db,
  userId: string,
  context: EventContext & { actorId: string },
): Promise<void> {
  if (userId === context.actorId) throw problems.ownMfaReset();
  if (await turnMfaOff(db, userId, context)) return;
  const [exists] = await db.select({ id: users.id }).from(users).where(eq(users.id, userId));
  throw exists ? problems.mfaNotEnabled() : problems.notFound("user");
}

/**
 * The first step of the login of a user with MFA, after the right password: an mfa_token, not
 * a session. Without the encryption key the second factor cannot be checked, and the user is
 * not let in without it: 503.
 */
export async function startMfaLogin(
  config: Pick<Config, "MFA_ENCRYPTION_KEY" | "JWT_SECRET">,
  user: UserRow,
) {
  mfaKey(config);
  return signMfaToken(user, config);
}

/**
 * The second step: the verified mfa_token's claims and a second factor. The token must be
 * unexpired (checked with its signature), not used up (5 codes, or a completed login), and of a
 * user still active, with the same token version and MFA still on. The code is counted per token
 * and per user before it is checked, in the round trip that reads the user (a token past its
 * limit is dead: 401; a user past theirs: 429); nothing is counted for a token that is no longer
 * its user's. Returns the user, for the caller to start the session, and the recovery codes left
 * when one was used.
 */
export async function completeMfaLogin(
  db: Db,
  config: Pick<Config, "MFA_ENCRYPTION_KEY">,
  claims: MfaClaims,
  factor: SecondFactor,
  context: EventContext,
): Promise<{ user: UserRow; recoveryCodesLeft?: number }> {
  const current = sql`exists (select 1 from ${users} where id = ${claims.sub} and active
    and mfa_enabled and token_version = ${claims.ver})`;
  const [reserved, [user]] = await db.batch([
    db.execute<Refusals>(
      reservation(
        [
          ["mfaToken", claims.jti],
          ["mfaCode", claims.sub],
        ],
        current,
      ),
    ),
    db.select().from(users).where(eq(users.id, claims.sub)).limit(1),
  ]);
  const refusals = reserved.rows[0];
  if (
    !user?.active ||
    !user.mfaEnabled ||
    user.tokenVersion !== claims.ver ||
    (refusals?.mfaToken ?? null) !== null
  ) {
    throw problems.invalidMfaToken();
  }
  assertGranted(refusals);
  const spent = await acceptSecondFactor(db, config, user, factor, context, claims.jti);
  return { user, ...spent };
}
