import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

export const roleEnum = pgEnum("user_role", ["ADMIN", "USER"]);
export type Role = (typeof roleEnum.enumValues)[number];

const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
};

/**
 * The text GET /users?q= searches: the four searchable columns, lowercased, joined by a control
 * character that no search term may contain (so a match never spans two columns). A trigram index
 * on exactly this expression serves the search.
 */
export const userSearchText = (t: {
  username: AnyPgColumn;
  email: AnyPgColumn;
  firstName: AnyPgColumn;
  lastName: AnyPgColumn;
}) =>
  sql`(lower(${t.username}) || chr(31) || lower(${t.email}) || chr(31) || lower(${t.firstName}) || chr(31) || lower(${t.lastName}))`;

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey(),
    username: text("username").notNull(),
    email: text("email").notNull(),
    firstName: text("first_name").notNull(),
    lastName: text("last_name").notNull(),
    passwordHash: text("password_hash").notNull(),
    role: roleEnum("role").notNull().default("USER"),
    active: boolean("active").notNull().default(true),
    // Whether the current address was proven by a verification link; false again after a change.
    emailVerified: boolean("email_verified").notNull().default(false),
    // Two-factor login (TOTP): on once a first code confirmed the secret. The secret is AES-GCM
    // encrypted (iv + ciphertext, base64) under MFA_ENCRYPTION_KEY; while MFA is off it is a
    // pending setup, replaced by the next one. The last time step a code was accepted for: a
    // code of that step or an older one is refused, so a code works once.
    mfaEnabled: boolean("mfa_enabled").notNull().default(false),
    totpSecret: text("totp_secret"),
    totpLastStep: integer("totp_last_step"),
    // Bumped by everything that must end the user's sessions (global logout, password change or
    // reset, role change, deactivation); access tokens carry it and die when it moves.
    tokenVersion: integer("token_version").notNull().default(0),
    // Moves on every change of the row; the ETag of the user is made from it.
    revision: integer("revision").notNull().default(1),
    // The id the user had in the system they were imported from (POST /users/import), if any.
    externalId: text("external_id"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("users_username_lower_key").on(sql`lower(${t.username})`),
    uniqueIndex("users_email_lower_key").on(sql`lower(${t.email})`),
    index("users_created_at_idx").on(t.createdAt, t.id),
    // The list's filters, each alone or both: a bounded count of a selective one reads its index,
    // not every user (services/users.ts).
    index("users_role_active_idx").on(t.role, t.active),
    index("users_active_role_idx").on(t.active, t.role),
    // GET /users?external_id= finds an imported user by their old id; most users have none.
    index("users_external_id_idx").on(t.externalId).where(sql`${t.externalId} is not null`),
    index("users_search_trgm_idx").using("gin", sql`${userSearchText(t)} gin_trgm_ops`),
  ],
);

export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    familyId: uuid("family_id").notNull(),
    // The user's token version at issue: once the user's version moves, the session is over.
    tokenVersion: integer("token_version").notNull(),
    tokenHash: text("token_hash").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
    spentAt: timestamp("spent_at", { withTimezone: true, precision: 3 }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, precision: 3 }),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    // When the session (the family) began, at login: every successor carries it on, so the
    // session ends SESSION_MAX_AGE after it however often it is refreshed.
    sessionStartedAt: timestamp("session_started_at", { withTimezone: true, precision: 3 })
      .notNull()
      .defaultNow(),
    // The client that logged in or refreshed with this token: the family's newest row tells the
    // session's last user agent (truncated) and coarsened IP (IPv4 /24, IPv6 /48).
    userAgent: text("user_agent"),
    ip: text("ip"),
  },
  (t) => [
    uniqueIndex("refresh_tokens_token_hash_key").on(t.tokenHash),
    // Whether a session is live, in one probe however many tokens its family has: a family's
    // entries are ordered revoked first (revoked_at ascending, nulls last), so its first entry says
    // whether any is revoked (family_is_live, services/caller.ts). Also every lookup by family.
    index("refresh_tokens_session_idx").on(t.familyId, t.revokedAt),
    // Every token of a user: what deleting the user cascades through.
    index("refresh_tokens_user_family_idx").on(t.userId, t.familyId),
    // Each session's head: a refresh spends a family's newest token and issues the next, so the
    // one unspent token of a family is its newest. In the order the session lists page them
    // (services/sessions.ts), which read one entry per session however often it was refreshed.
    index("refresh_tokens_user_family_unspent_idx")
      .on(t.userId, t.familyId)
      .where(sql`${t.spentAt} is null`),
    index("refresh_tokens_expires_idx").on(t.expiresAt),
    // The cron finds revoked families by this; few rows are ever revoked, so it stays small.
    index("refresh_tokens_revoked_idx").on(t.revokedAt).where(sql`${t.revokedAt} is not null`),
  ],
);

export const passwordResetTokens = pgTable(
  "password_reset_tokens",
  {
    // One live token per user: issuing a new one replaces the old row.
    userId: uuid("user_id")
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    // What the token depends on, as it was at issue: the token dies when the user's token version
    // moves (password change, role change, deactivation) or the address it was sent to changes.
    // Null only on rows older than these columns, which are then dead.
    tokenVersion: integer("token_version"),
    email: text("email"),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("password_reset_tokens_token_hash_key").on(t.tokenHash),
    index("password_reset_tokens_expires_idx").on(t.expiresAt),
  ],
);

export const emailVerificationTokens = pgTable(
  "email_verification_tokens",
  {
    // One live token per user: a newer one replaces the older row.
    userId: uuid("user_id")
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    // The address the token was sent to: it verifies that address and no other.
    email: text("email").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("email_verification_tokens_token_hash_key").on(t.tokenHash),
    index("email_verification_tokens_expires_idx").on(t.expiresAt),
  ],
);

/**
 * Single-use recovery codes of a user with two-factor login, stored as SHA-256 hashes of their
 * normalised form; a code is deleted when used, and all of them when MFA is enabled anew or off.
 */
export const mfaRecoveryCodes = pgTable(
  "mfa_recovery_codes",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
);

/**
 * The security event log: append-only, written in the same statement as the change it records.
 * No foreign key: the events of a deleted user stay readable for their retention period.
 */
export const securityEvents = pgTable(
  "security_events",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id").notNull(),
    type: text("type").notNull(),
    at: timestamp("at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    actorId: uuid("actor_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    // Never a secret: no token, hash or password.
    detail: jsonb("detail").notNull().default({}),
  },
  (t) => [
    // The orders the event lists page in (services/events.ts): a user's events, all of them, and
    // those of a type, newest first with the id as tie-break. The cron's retention uses `at` too.
    index("security_events_user_at_idx").on(t.userId, t.at, t.id),
    index("security_events_at_idx").on(t.at, t.id),
    index("security_events_type_at_idx").on(t.type, t.at, t.id),
  ],
);

/**
 * Attempts counted in the database, so that every Cloudflare location sees them: logins per
 * account, current passwords per user, admin keys per client, two-factor codes per user and per
 * mfa_token. An attempt is counted before its check and given back when it was right, so
 * `failures` holds the wrong ones (and those in flight). One row per key, a fixed window that
 * restarts after it ends (services/rate-limits.ts).
 */
export const authThrottles = pgTable(
  "auth_throttles",
  {
    key: text("key").primaryKey(),
    failures: integer("failures").notNull(),
    windowStartedAt: timestamp("window_started_at", { withTimezone: true, precision: 3 })
      .notNull()
      .defaultNow(),
  },
  (t) => [index("auth_throttles_window_idx").on(t.windowStartedAt)],
);

/**
 * A user's passkeys (WebAuthn credentials): what verifying an assertion needs (the credential id
 * and COSE public key, base64url, and the last signature counter) and what the user sees of them.
 */
export const passkeys = pgTable(
  "passkeys",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    credentialId: text("credential_id").notNull(),
    publicKey: text("public_key").notNull(),
    // The authenticator's signature counter (an unsigned 32-bit number); 0 for those without one.
    counter: bigint("counter", { mode: "number" }).notNull().default(0),
    transports: text("transports").array().notNull().default(sql`'{}'::text[]`),
    // `single_device` (bound to one authenticator) or `multi_device` (a synced passkey), and
    // whether it is backed up now: both from the authenticator's flags, the latter kept current.
    deviceType: text("device_type").notNull(),
    backedUp: boolean("backed_up").notNull(),
    name: text("name").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, precision: 3 }),
  },
  (t) => [
    uniqueIndex("passkeys_credential_id_key").on(t.credentialId),
    index("passkeys_user_idx").on(t.userId, t.createdAt),
  ],
);

/**
 * The challenges of WebAuthn ceremonies, kept by the server (never by the client): each is spent
 * by the statement that deletes it, so it works once, and only for its ceremony, its user (a
 * registration's) and within its lifetime.
 */
export const webauthnChallenges = pgTable(
  "webauthn_challenges",
  {
    id: uuid("id").primaryKey(),
    challenge: text("challenge").notNull(),
    ceremony: text("ceremony").notNull(),
    // No foreign key: a deleted user's challenge can do nothing, and the cron removes it.
    userId: uuid("user_id"),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [index("webauthn_challenges_expires_idx").on(t.expiresAt)],
);

export type UserRow = typeof users.$inferSelect;
export type PasskeyRow = typeof passkeys.$inferSelect;
