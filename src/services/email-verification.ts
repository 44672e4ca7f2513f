import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { rowOf } from "../db/rows";
import { emailVerificationTokens, type UserRow, users } from "../db/schema";
import type { Config } from "../env";
import type { ClientInfo } from "../lib/client";
import { randomToken, sha256Hex } from "../lib/crypto";
import { emailVerificationMessage, type MailMessage } from "../lib/mail";
import { problems } from "../lib/problems";
import { insertEvents } from "./events";

type VerifyConfig = Pick<Config, "MAIL_APP_NAME" | "EMAIL_VERIFY_URL" | "VERIFY_TOKEN_TTL">;

/**
 * Issues a verification token for the user's current address, unless it is verified already, and
 * returns the email that carries it (nothing when there is nothing to verify). One statement: the
 * token is bound to the address it is sent to, and replaces any older token of the user.
 */
export async function issueVerification(
  db: Db,
  config: VerifyConfig,
  userId: string,
): Promise<MailMessage | undefined> {
  const token = randomToken();
  const result = await db.execute<{ email: string; first_name: string }>(sql`
    with target as (
      select id, email, first_name from ${users} where id = ${userId} and not email_verified
    ), issued as (
      insert into ${emailVerificationTokens} (user_id, token_hash, email, expires_at)
      select id, ${await sha256Hex(token)}, email,
             now() + make_interval(secs => ${config.VERIFY_TOKEN_TTL})
      from target
      on conflict (user_id) do update
        set token_hash = excluded.token_hash, email = excluded.email,
            expires_at = excluded.expires_at, created_at = now()
      returning user_id
    )
    select target.email, target.first_name from target join issued on issued.user_id = target.id`);
  const row = result.rows[0];
  return row
    ? emailVerificationMessage(config, { email: row.email, firstName: row.first_name }, token)
    : undefined;
}

/**
 * A new verification email for the caller: 409 when the address is verified already (or became
 * verified meanwhile).
 */
export async function reissueVerification(
  db: Db,
  config: VerifyConfig,
  user: UserRow,
): Promise<MailMessage> {
  if (user.emailVerified) throw problems.alreadyVerified();
  const message = await issueVerification(db, config, user.id);
  if (!message) throw problems.alreadyVerified();
  return message;
}

/**
 * Spends the token and marks the address verified, in one statement that also records the
 * event. The token works only while unexpired and while the user still has the address it was
 * sent to; of two concurrent submissions only one deletes the row, so it works once. The update
 * is bound to that address, not only to the user: an email change that commits while this
 * statement waits for the user's row is seen by the update, which then marks nothing.
 */
export async function verifyEmailWithToken(
  db: Db,
  token: string,
  client: ClientInfo,
): Promise<UserRow> {
  const result = await db.execute<Record<string, unknown>>(sql`
    with spent as (
      delete from ${emailVerificationTokens} t using ${users} u
      where t.token_hash = ${await sha256Hex(token)} and u.id = t.user_id
        and t.expires_at > now() and lower(t.email) = lower(u.email)
      returning t.user_id, t.email
    ), verified as (
      update ${users} set email_verified = true, revision = revision + 1, updated_at = now()
      from spent where ${users.id} = spent.user_id and lower(${users.email}) = lower(spent.email)
      returning ${users}.*
    ), recorded as (
      ${insertEvents(client, sql`select id, 'email.verified', '{}'::jsonb from verified`)}
    )
    select * from verified`);
  const raw = result.rows[0];
  if (!raw) throw problems.invalidVerificationToken();
  return rowOf(users, raw);
}

/** The cron's share: expired verification tokens can never be used again. */
export async function deleteExpiredVerifications(db: Db, limit: number): Promise<number> {
  const result = await db.execute(sql`
    delete from ${emailVerificationTokens} where user_id in (
      select user_id from ${emailVerificationTokens} where expires_at < now() limit ${limit})`);
  return result.rowCount ?? 0;
}
