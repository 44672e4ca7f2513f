import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { passwordResetTokens, users } from "../db/schema";
import type { Config } from "../env";
import type { ClientInfo } from "../lib/client";
import { randomToken, sha256Hex } from "../lib/crypto";
import { type MailMessage, passwordResetMessage } from "../lib/mail";
import { hashPassword, verifyPassword } from "../lib/password";
import { problems } from "../lib/problems";
import { insertEvents } from "./events";
import { assertAcceptablePasswordFor } from "./users";

/**
 * For an active account with this email, replaces any older reset token with a new one (one
 * statement). Returns the email to send, or nothing when there is no such account.
 */
export async function requestPasswordReset(
  db: Db,
  config: Config,
  email: string,
  client: ClientInfo,
): Promise<MailMessage | undefined> {
  const token = randomToken();
  const result = await db.execute<{ email: string; first_name: string }>(sql`
    with target as (
      select id, email, first_name, token_version from ${users}
      where lower(email) = lower(${email}) and active
    ), issued as (
      insert into ${passwordResetTokens} (user_id, token_hash, token_version, email, expires_at)
      select id, ${await sha256Hex(token)}, token_version, email,
             now() + make_interval(secs => ${config.RESET_TOKEN_TTL})
      from target
      on conflict (user_id) do update
        set token_hash = excluded.token_hash, token_version = excluded.token_version,
            email = excluded.email, expires_at = excluded.expires_at, created_at = now()
      returning user_id
    ), recorded as (
      ${insertEvents(
        { ...client, actorId: null },
        sql`select user_id, 'password.reset_requested', '{}'::jsonb from issued`,
      )}
    )
    select target.email, target.first_name from target join issued on issued.user_id = target.id`);
  const row = result.rows[0];
  return row
    ? passwordResetMessage(config, { email: row.email, firstName: row.first_name }, token)
    : undefined;
}

/**
 * A reset token (`t`) of its user (`u`) is valid until it expires, and only while nothing it was
 * issued under has changed: the user is active with the same token version (no password change,
 * role change or deactivation since) and the same email (the address it was sent to).
 */
const tokenStillValid = sql`t.expires_at > now() and u.active
  and t.token_version = u.token_version and lower(t.email) = lower(u.email)`;

/**
 * The live token's user, to check the new password against before paying for a hash. An email
 * that is not the user's is refused as such (the token stays unspent): the holder of a valid token
 * learns nothing from it but that they typed another address.
 */
async function findResetTokenUser(db: Db, token: string, email?: string) {
  const result = await db.execute<{
    id: string;
    username: string;
    email: string;
    password_hash: string;
  }>(sql`
    select u.id, u.username, u.email, u.password_hash from ${passwordResetTokens} t
    join ${users} u on u.id = t.user_id
    where t.token_hash = ${await sha256Hex(token)} and ${tokenStillValid}`);
  const row = result.rows[0];
  if (!row) throw problems.invalidResetToken();
  if (email !== undefined && email.toLowerCase() !== row.email.toLowerCase()) {
    throw problems.resetEmailMismatch();
  }
  return row;
}

/**
 * Spends the token and sets the password in one statement. Of two concurrent submissions only
 * one deletes the row, so a token works once. Moving the token version ends every session. The
 * update is bound to what the token was issued under (the address, the token version), not only
 * to the user: an email change that commits while this statement waits for the user's row is
 * seen by the update, which then sets nothing.
 */
async function spendResetToken(
  db: Db,
  token: string,
  userId: string,
  passwordHash: string,
  client: ClientInfo,
) {
  const result = await db.execute<{ id: string }>(sql`
    with spent as (
      delete from ${passwordResetTokens} t using ${users} u
      where t.token_hash = ${await sha256Hex(token)} and t.user_id = ${userId}
        and u.id = t.user_id and ${tokenStillValid}
      returning t.user_id, t.email, t.token_version
    ), reset as (
      update ${users} set password_hash = ${passwordHash},
        token_version = ${users.tokenVersion} + 1, revision = revision + 1, updated_at = now()
      from spent
      where ${users.id} = spent.user_id and ${users.active}
        and lower(${users.email}) = lower(spent.email)
        and ${users.tokenVersion} = spent.token_version
      returning ${users.id}
    ), recorded as (
      ${insertEvents(client, sql`select id, 'password.reset', '{}'::jsonb from reset`)}
    )
    select id from reset`);
  if (!result.rows[0]) throw problems.invalidResetToken();
}

/**
 * Sets a new password with a reset token (and, when given, the email it was sent to): the new
 * password is checked against the token's user before any hashing, then the token is spent.
 */
export async function resetPasswordWithToken(
  db: Db,
  config: Pick<Config, "BCRYPT_COST">,
  reset: { token: string; newPassword: string; email?: string },
  client: ClientInfo,
): Promise<void> {
  const user = await findResetTokenUser(db, reset.token, reset.email);
  assertAcceptablePasswordFor(user, reset.newPassword, "new_password");
  // One more bcrypt, on a rare request: "reset" to the same password would only end sessions.
  if (await verifyPassword(reset.newPassword, user.password_hash)) throw problems.samePassword();
  const hash = await hashPassword(reset.newPassword, config.BCRYPT_COST);
  await spendResetToken(db, reset.token, user.id, hash, client);
}
