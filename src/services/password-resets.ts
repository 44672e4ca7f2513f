import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { passwordResetTokens, users } from "../db/schema";
import type { Config } from "../env";
import { randomToken, sha256Hex } from "../lib/crypto";
import { ApiError } from "../lib/problem";

export function invalidResetToken() {
  return new ApiError(
    400,
    "invalid_or_expired_token",
    "The reset token is invalid, expired or already used.",
  );
}

/**
 * For an active account with this email, replaces any older reset token with a new one (one
 * statement). Returns the recipient and the token to mail, or nothing when there is no such account.
 */
export async function createResetToken(db: Db, config: Config, email: string) {
  const token = randomToken();
  const result = await db.execute<{ email: string; first_name: string }>(sql`
    with target as (
      select id, email, first_name from ${users}
      where lower(email) = lower(${email}) and active
    ), issued as (
      insert into ${passwordResetTokens} (user_id, token_hash, expires_at)
      select id, ${await sha256Hex(token)}, now() + make_interval(secs => ${config.RESET_TOKEN_TTL})
      from target
      on conflict (user_id) do update
        set token_hash = excluded.token_hash, expires_at = excluded.expires_at, created_at = now()
      returning user_id
    )
    select target.email, target.first_name from target join issued on issued.user_id = target.id`);
  const row = result.rows[0];
  return row ? { email: row.email, firstName: row.first_name, token } : undefined;
}

/** The live token's user, to check the new password against before paying for a hash. */
export async function findResetTokenUser(db: Db, token: string, email?: string) {
  const result = await db.execute<{ id: string; username: string; email: string }>(sql`
    select u.id, u.username, u.email from ${passwordResetTokens} t
    join ${users} u on u.id = t.user_id
    where t.token_hash = ${await sha256Hex(token)} and t.expires_at > now() and u.active
      ${email === undefined ? sql`` : sql`and lower(u.email) = lower(${email})`}`);
  const row = result.rows[0];
  if (!row) throw invalidResetToken();
  return row;
}

/**
 * Spends the token and sets the password in one statement. Of two concurrent submissions only
 * one deletes the row, so a token works once. Moving the token version ends every session.
 */
export async function spendResetToken(db: Db, token: string, userId: string, passwordHash: string) {
  const result = await db.execute<{ id: string }>(sql`
    with spent as (
      delete from ${passwordResetTokens}
      where token_hash = ${await sha256Hex(token)} and user_id = ${userId} and expires_at > now()
      returning user_id
    )
    update ${users} set password_hash = ${passwordHash}, token_version = token_version + 1,
      revision = revision + 1, updated_at = now()
    from spent where ${users.id} = spent.user_id and ${users.active}
    returning ${users.id}`);
  if (!result.rows[0]) throw invalidResetToken();
}
