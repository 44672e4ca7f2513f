import { eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { rowOf } from "../db/rows";
import { mfaRecoveryCodes, type UserRow, users } from "../db/schema";
import type { Config } from "../env";
import { sha256Hex } from "../lib/crypto";
import { problems } from "../lib/problems";
import { signMfaToken, verifyMfaToken } from "../lib/tokens";
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
  assertGuardOpen,
  assertNotLocked,
  exhaustUpsert,
  failureUpsert,
  lockedForSeconds,
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
 * Starts (or restarts) TOTP enrolment: a new secret, stored encrypted as the user's pending one
 * (replacing any earlier pending one), shown once with its otpauth:// URL. Enabled already: 409.
 */
export async function setupTotp(
  db: Db,
  config: Pick<Config, "MFA_ENCRYPTION_KEY" | "MAIL_APP_NAME">,
  user: UserRow,
): Promise<{ secret: string; otpauthUrl: string }> {
  const key = mfaKey(config);
  if (user.mfaEnabled) throw problems.mfaAlreadyEnabled();
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

/** The statement that counts one wrong code against the user and, at login, the mfa_token. */
function wrongCode(userId: string, jti?: string): SQL {
  if (!jti) return failureUpsert("mfaCode", userId);
  return sql`with per_user as (${failureUpsert("mfaCode", userId)}) ${failureUpsert("mfaToken", jti)}`;
}

/**
 * Confirms the pending secret with a first code and turns MFA on, in one statement with its
 * new recovery codes (which replace any older ones) and the `mfa.enabled` event. The code's
 * step counts as used. Returns the recovery codes, shown this once.
 */
export async function enableTotp(
  db: Db,
  config: Pick<Config, "MFA_ENCRYPTION_KEY">,
  user: UserRow,
  code: string,
  context: EventContext,
): Promise<{ user: UserRow; recoveryCodes: string[] }> {
  const key = mfaKey(config);
  if (user.mfaEnabled) throw problems.mfaAlreadyEnabled();
  if (!user.totpSecret) throw problems.mfaSetupRequired();
  await assertGuardOpen(db, "mfaCode", user.id);
  const step = await matchTotpStep(await decryptSecret(key, user.totpSecret), code);
  if (step === null) {
    await db.execute(wrongCode(user.id));
    throw problems.invalidMfaCode("code");
  }
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
    ), recorded as (
      ${insertEvents(context, sql`select id, 'mfa.enabled', '{}'::jsonb from changed`)}
    )
    select * from changed`);
  const raw = result.rows[0];
  // Enabled or set up anew meanwhile (another tab): this code confirmed nothing current.
  if (!raw) throw problems.changedMeanwhile();
  return { user: rowOf(users, raw), recoveryCodes: codes };
}

/**
 * Checks and spends a second factor of a user with MFA on: a TOTP code of the current step ±1
 * that is newer than the last one accepted (so a code works once), or an unused recovery code
 * (deleted as it is used, recording `mfa.recovery_code_used`). A wrong one counts against the
 * user (and the mfa_token's `jti` when given) and is 400 invalid_mfa_code.
 */
async function spendSecondFactor(
  db: Db,
  config: Pick<Config, "MFA_ENCRYPTION_KEY">,
  user: UserRow,
  factor: SecondFactor,
  context: EventContext,
  jti?: string,
): Promise<{ recoveryCodesLeft?: number }> {
  if ("code" in factor) {
    const key = mfaKey(config);
    const step = user.totpSecret
      ? await matchTotpStep(await decryptSecret(key, user.totpSecret), factor.code)
      : null;
    if (step !== null) {
      const [row] = await db
        .update(users)
        .set({ totpLastStep: step })
        .where(
          sql`${users.id} = ${user.id} and ${users.mfaEnabled}
            and coalesce(${users.totpLastStep}, -1) < ${step}`,
        )
        .returning({ id: users.id });
      if (row) return {};
    }
    await db.execute(wrongCode(user.id, jti));
    throw problems.invalidMfaCode("code");
  }
  const hash = await sha256Hex(normaliseRecoveryCode(factor.recoveryCode));
  const result = await db.execute<{ spent: number; remaining: number }>(sql`
    with spent as (
      delete from ${mfaRecoveryCodes} where user_id = ${user.id} and code_hash = ${hash}
      returning user_id
    ), counted as (
      select (select count(*) from ${mfaRecoveryCodes} where user_id = ${user.id})::int
        - (select count(*) from spent)::int as remaining
    ), recorded as (
      ${insertEvents(
        context,
        sql`select user_id, 'mfa.recovery_code_used',
          jsonb_build_object('recovery_codes_left', (select remaining from counted)) from spent`,
      )}
    )
    select (select count(*) from spent)::int as spent, (select remaining from counted) as remaining`);
  const outcome = result.rows[0];
  if (!outcome || Number(outcome.spent) === 0) {
    await db.execute(wrongCode(user.id, jti));
    throw problems.invalidMfaCode("recovery_code");
  }
  return { recoveryCodesLeft: Number(outcome.remaining) };
}

/**
 * Turns MFA off for the caller, who proves both the password and a second factor: the secret,
 * the last step and every recovery code go, recorded as `mfa.disabled`.
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
  await assertGuardOpen(db, "mfaCode", user.id);
  await spendSecondFactor(db, config, user, proof.factor, context);
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

/** An admin's reset of a user's MFA (a lost phone and lost recovery codes); the admin is the actor. */
export async function resetMfa(db: Db, userId: string, context: EventContext): Promise<void> {
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
 * The second step: the mfa_token and a second factor. The token must be unexpired, not used up
 * (5 wrong codes, or a completed login), and of a user still active, with the same token version
 * and MFA still on. Wrong codes count per token and per user (429 past the user's limit).
 * Returns the user, for the caller to start the session, and the recovery codes left when one
 * was used.
 */
export async function completeMfaLogin(
  db: Db,
  config: Pick<Config, "MFA_ENCRYPTION_KEY" | "JWT_SECRET">,
  mfaToken: string,
  factor: SecondFactor,
  context: EventContext,
): Promise<{ user: UserRow; recoveryCodesLeft?: number }> {
  const claims = await verifyMfaToken(mfaToken, config.JWT_SECRET);
  const [[locks], [user]] = await db.batch([
    db
      .select({
        token: lockedForSeconds("mfaToken", claims.jti),
        user: lockedForSeconds("mfaCode", claims.sub),
      })
      .from(sql`(select 1) as one`),
    db.select().from(users).where(eq(users.id, claims.sub)).limit(1),
  ]);
  if (
    (locks?.token ?? null) !== null ||
    !user ||
    !user.active ||
    !user.mfaEnabled ||
    user.tokenVersion !== claims.ver
  ) {
    throw problems.invalidMfaToken();
  }
  assertNotLocked(locks?.user);
  const spent = await spendSecondFactor(db, config, user, factor, context, claims.jti);
  // One login per token: a second factor already spent cannot open a second session with it.
  await db.execute(exhaustUpsert("mfaToken", claims.jti));
  return { user, ...spent };
}
