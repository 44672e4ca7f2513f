import {
  and,
  asc,
  count,
  desc,
  eq,
  getTableColumns,
  type Placeholder,
  type SQL,
  sql,
} from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Db } from "../db/client";
import { violatedUniqueConstraint } from "../db/errors";
import { type PreparedSql, preparedPerClient, preparedPerShape, preparedSql } from "../db/prepared";
import { rowOf } from "../db/rows";
import { type Role, type UserRow, userSearchText, users } from "../db/schema";
import type { Config } from "../env";
import type { ClientInfo } from "../lib/client";
import { constantTimeEqual } from "../lib/crypto";
import {
  assertAcceptablePassword,
  checkLoginPassword,
  hashPassword,
  needsRehash,
  verifyPassword,
} from "../lib/password";
import { type ApiError, problems } from "../lib/problems";
import { type PublicUserRow, publicUserColumns, type UserSort } from "../schemas/user";
import {
  assertCallerLive,
  authenticate,
  CALLER_PLACEHOLDERS,
  type Caller,
  callerIsLive,
  callerParams,
  refusal,
} from "./caller";
import { type EventContext, insertEvents, recorded, runRecorded } from "./events";
import {
  assertGuardOpen,
  assertNotLocked,
  failureUpsert,
  lockedForSeconds,
  recordFailure,
} from "./rate-limits";

const uniqueFields: Partial<Record<string, "username" | "email">> = {
  users_username_lower_key: "username",
  users_email_lower_key: "email",
};

/** Turns a unique violation on username or email into the 409 the API promises. */
function rethrowConflict(error: unknown): never {
  const constraint = violatedUniqueConstraint(error);
  const field = constraint ? uniqueFields[constraint] : undefined;
  if (field) throw problems.taken(field);
  throw error;
}

export type Registration = {
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  password: string;
  /** Makes the user an ADMIN when it equals the configured SECRET_ADMIN_KEY. */
  adminKey?: string;
  /** The client's address bucket, under which wrong admin keys are counted. */
  client?: string;
};

/** The local part of an address, which a password must not contain (like the username). */
const emailName = (email: string) => email.split("@")[0] ?? "";

/**
 * Creates a user: an ADMIN only with the configured admin key (any other key, or any key while
 * none is configured, is refused), with an acceptable password. One insert: the database's
 * case-insensitive unique indexes settle concurrent registrations.
 */
export async function registerUser(
  db: Db,
  config: Pick<Config, "SECRET_ADMIN_KEY" | "BCRYPT_COST">,
  registration: Registration,
  context: EventContext,
): Promise<UserRow> {
  const { password, adminKey, client, ...fields } = registration;
  let role: Role = "USER";
  if (adminKey !== undefined) {
    // Wrong keys are counted per client in the database, which every location sees.
    if (client) await assertGuardOpen(db, "adminKey", client);
    const key = config.SECRET_ADMIN_KEY;
    if (!key || !(await constantTimeEqual(adminKey, key))) {
      if (client) await recordFailure(db, "adminKey", client);
      throw problems.invalidAdminKey();
    }
    role = "ADMIN";
  }
  assertAcceptablePassword(password, "password", [fields.username, emailName(fields.email)]);
  const passwordHash = await hashPassword(password, config.BCRYPT_COST);
  try {
    const [row] = await runRecorded(
      db,
      db
        .insert(users)
        .values({ id: uuidv7(), ...fields, passwordHash, role })
        .returning(),
      context,
      sql`select id, 'user.registered', jsonb_build_object('role', role) from changed`,
    );
    if (!row) throw new Error("insert returned no row");
    return rowOf(users, row);
  } catch (error) {
    rethrowConflict(error);
  }
}

/** Refuses a new password bcrypt would cut, a common one, or one containing the user's names. */
export function assertAcceptablePasswordFor(
  user: Pick<UserRow, "username" | "email">,
  password: string,
  field: string,
): void {
  assertAcceptablePassword(password, field, [user.username, emailName(user.email)]);
}

/**
 * The active user with this email and password, or a 401 that is the same for an unknown email,
 * a wrong password and an inactive account, in about the same time. Failures are counted per
 * email in the database (known or not, so the limit reveals nothing), and past the limit the
 * email is refused with 429 before any hashing; the count is read in the same round trip as the
 * user. When the stored hash has another cost than the configured one, `upgrade` writes a new
 * hash (the caller runs it in the background).
 */
export async function checkCredentials(
  db: Db,
  config: Pick<Config, "BCRYPT_COST" | "REQUIRE_VERIFIED_EMAIL">,
  credentials: { email: string; password: string },
  context: EventContext,
): Promise<{ user: UserRow; upgrade?: () => Promise<void> }> {
  const { email, password } = credentials;
  const [[lock], [user]] = await db.batch([
    db.select({ seconds: lockedForSeconds("login", email) }).from(sql`(select 1) as one`),
    db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`).limit(1),
  ]);
  assertNotLocked(lock?.seconds);
  const matches = await checkLoginPassword(password, user?.passwordHash, config.BCRYPT_COST);
  if (!user || !matches || !user.active) {
    // One statement whether or not the account exists: the count, and the event of an account
    // that does (the statement's shape and time do not depend on which).
    await db.execute(sql`
      with counted as (${failureUpsert("login", email)})
      ${insertEvents(
        { ...context, actorId: null },
        sql`select id, 'login.failed', '{}'::jsonb from ${users}
          where lower(${users.email}) = lower(${email})`,
      )}`);
    throw problems.invalidCredentials();
  }
  // Only after the right password, so it tells nothing to someone without it.
  if (config.REQUIRE_VERIFIED_EMAIL && !user.emailVerified) throw problems.emailNotVerified();
  if (!needsRehash(user.passwordHash, config.BCRYPT_COST)) return { user };
  const upgrade = async () => {
    const upgraded = await hashPassword(password, config.BCRYPT_COST);
    // Only over the hash that was checked: a password changed meanwhile is not overwritten.
    await db
      .update(users)
      .set({ passwordHash: upgraded })
      .where(and(eq(users.id, user.id), eq(users.passwordHash, user.passwordHash)));
  };
  return { user, upgrade };
}

/** A user as a read shows it: the public columns and the revision its ETag is made of. */
export type UserView = PublicUserRow & Pick<UserRow, "revision">;

const userAsCallerQuery = preparedPerClient((db) =>
  db
    .select({
      user: { ...publicUserColumns, revision: users.revision },
      callerLive: callerIsLive(CALLER_PLACEHOLDERS),
    })
    .from(users)
    .where(eq(users.id, sql.placeholder("id")))
    .limit(1)
    .prepare("find_user_as"),
);

/**
 * The user with the id, read with whether the caller is live, in one statement: the caller's
 * authentication rides on the read instead of taking a round trip of its own.
 */
async function findUserAs(db: Db, caller: Caller, id: string): Promise<UserView | undefined> {
  const [found] = await userAsCallerQuery(db).execute({ id, ...callerParams(caller) });
  await assertCallerLive(db, caller, found?.callerLive);
  return found?.user;
}

/**
 * A user as the caller may see them: themselves, or anyone for an admin. A non-admin asking for
 * anyone else is refused whether or not that user exists, so ids cannot be probed. One round
 * trip, the caller's authentication included.
 */
export async function readUserAs(db: Db, caller: Caller, id: string): Promise<UserView> {
  if (caller.role !== "ADMIN" && caller.sub !== id) {
    throw await refusal(db, caller, "You may only read your own user.");
  }
  const user = await findUserAs(db, caller, id);
  if (!user) throw problems.notFound("user");
  return user;
}

const sortColumns = {
  created_at: [users.createdAt],
  username: [sql`lower(${users.username})`],
  email: [sql`lower(${users.email})`],
} as const;

export type UserListFilter = {
  page: number;
  perPage: number;
  q?: string;
  role?: Role;
  active?: boolean;
  externalId?: string;
  sort: UserSort;
};

/**
 * A page of users and the total that match, with the caller's authentication, in one round trip
 * (a window count; the caller's check is evaluated once). An empty page has no row to carry
 * either, so it asks once more.
 */
export async function searchUsers(db: Db, caller: Caller, filter: UserListFilter) {
  const rows = await listQuery(db, filter).execute({
    ...callerParams(caller),
    pattern: filter.q && containing(filter.q),
    role: filter.role,
    active: filter.active,
    external_id: filter.externalId,
    limit: filter.perPage,
    offset: (filter.page - 1) * filter.perPage,
  });
  await assertCallerLive(db, caller, rows[0]?.callerLive);

  // Past the last page the window count has no row to ride on: count separately.
  const total =
    rows[0]?.total ??
    (filter.page > 1
      ? ((await db.select({ n: count() }).from(users).where(listWhere(filter)))[0]?.n ?? 0)
      : 0);
  const page: PublicUserRow[] = rows;
  return { users: page, total };
}

/** A LIKE pattern that matches the text anywhere, its own wildcards escaped. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** The list's filter: its values, or (for a prepared statement) placeholders in their place. */
function listWhere(filter: UserListFilter, placeholders = false) {
  const conditions: SQL[] = [];
  if (filter.q) {
    const pattern = placeholders ? sql.placeholder("pattern") : containing(filter.q);
    conditions.push(sql`${userSearchText(users)} like lower(${pattern})`);
  }
  if (filter.role) {
    conditions.push(eq(users.role, placeholders ? sql.placeholder("role") : filter.role));
  }
  if (filter.active !== undefined) {
    conditions.push(eq(users.active, placeholders ? sql.placeholder("active") : filter.active));
  }
  if (filter.externalId !== undefined) {
    conditions.push(
      eq(users.externalId, placeholders ? sql.placeholder("external_id") : filter.externalId),
    );
  }
  return conditions.length ? and(...conditions) : undefined;
}

/**
 * The list statement of a filter's shape (which filters, which order), prepared once per client:
 * a list request only fills in the values.
 */
const listQuery = preparedPerShape(
  (filter: UserListFilter) =>
    `${!!filter.q},${!!filter.role},${filter.active !== undefined},${filter.externalId !== undefined},${filter.sort}`,
  prepareList,
);

function prepareList(db: Db, filter: UserListFilter) {
  const descending = filter.sort.startsWith("-");
  const key = filter.sort.replace(/^-/, "") as keyof typeof sortColumns;
  const direction = descending ? desc : asc;
  const order = [...sortColumns[key].map((column) => direction(column)), direction(users.id)];
  return db
    .select({
      ...publicUserColumns,
      total: sql<number>`count(*) over()`.mapWith(Number),
      callerLive: callerIsLive(CALLER_PLACEHOLDERS),
    })
    .from(users)
    .where(listWhere(filter, true))
    .orderBy(...order)
    .limit(sql.placeholder("limit"))
    .offset(sql.placeholder("offset"))
    .prepare("list_users");
}

/**
 * Re-authentication for what would let a stolen access token take the account for good (a new
 * password, a new email): the current password, with wrong ones counted per user in the
 * database so a stolen token is no password-guessing oracle.
 */
export async function verifyCurrentPassword(
  db: Db,
  user: UserRow,
  password: string,
): Promise<void> {
  await assertGuardOpen(db, "currentPassword", user.id);
  if (!(await verifyPassword(password, user.passwordHash))) {
    await recordFailure(db, "currentPassword", user.id);
    throw problems.invalidCurrentPassword();
  }
}

/**
 * Changes the caller's password after checking the current one, and moves the token version,
 * ending every session the user had. A concurrent change of the same account wins once.
 */
export async function changeOwnPassword(
  db: Db,
  config: Pick<Config, "BCRYPT_COST">,
  user: UserRow,
  passwords: { current: string; next: string },
  context: EventContext,
): Promise<UserRow> {
  await verifyCurrentPassword(db, user, passwords.current);
  if (passwords.next === passwords.current) throw problems.samePassword();
  assertAcceptablePasswordFor(user, passwords.next, "new_password");
  const passwordHash = await hashPassword(passwords.next, config.BCRYPT_COST);
  const [row] = await runRecorded(
    db,
    db
      .update(users)
      .set({
        passwordHash,
        tokenVersion: sql`${users.tokenVersion} + 1`,
        revision: sql`${users.revision} + 1`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(users.id, user.id), eq(users.tokenVersion, user.tokenVersion)))
      .returning(),
    context,
    sql`select id, 'password.changed', '{}'::jsonb from changed`,
  );
  if (!row) throw problems.changedMeanwhile();
  return rowOf(users, row);
}

/** What an update may change, in the order its statements are keyed by. */
const UPDATABLE = ["username", "email", "firstName", "lastName", "role", "active"] as const;
type Updatable = (typeof UPDATABLE)[number];

export type UserChanges = Partial<Pick<UserRow, Updatable>>;

/** What an update did, for the caller to act on (an email change tells the old address). */
export type UserUpdate = { user: UserRow; previousEmail?: string };

/**
 * Applies the caller's update of a user: anyone may change their own names and email, only an
 * admin may change someone else, or anyone's role and activity. Changing one's own email needs
 * the current password: with only a stolen access token, an email change followed by a password
 * reset would otherwise take the account for good.
 */
export async function updateUserAs(
  db: Db,
  caller: Caller,
  id: string,
  changes: UserChanges,
  options: { acceptedRevisions?: number[]; currentPassword?: string; client?: ClientInfo } = {},
): Promise<UserUpdate> {
  if (caller.role !== "ADMIN") {
    if (caller.sub !== id) throw await refusal(db, caller, "You may only update your own user.");
    const adminFields = (["role", "active"] as const).filter((key) => changes[key] !== undefined);
    if (adminFields.length > 0) {
      throw await refusal(
        db,
        caller,
        "Only an admin may change role or active.",
        adminFields.map((path) => ({ path, message: "admins only" })),
      );
    }
  }
  if (changes.email !== undefined && caller.sub === id) {
    if (options.currentPassword === undefined) {
      throw problems.invalidFields([
        { path: "current_password", message: "is required to change your own email" },
      ]);
    }
    // The password check needs the stored hash: this update takes a round trip more.
    await verifyCurrentPassword(db, await authenticate(db, caller), options.currentPassword);
  }
  return updateUser(db, caller, id, changes, options.acceptedRevisions, {
    ...options.client,
    actorId: caller.sub,
  });
}

/**
 * Active admins, locked for the statement that reads them: two admins demoting each other at
 * once are serialised, and the second sees that no other admin is left.
 */
const lockedAdmins = (db: Db) =>
  db.$with("locked_admins").as(
    db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.role, "ADMIN"), eq(users.active, true)))
      // Always in id order: two statements that locked admins in the heap's order (which moves
      // with every update) could each hold the row the other waits for, and deadlock.
      .orderBy(users.id)
      .for("update"),
  );

/** True where the row is not an active admin, or another active admin remains. */
function keepsAnAdmin(
  admins: ReturnType<typeof lockedAdmins>,
  id: string | Placeholder,
  after?: SQL,
) {
  return sql`(not (${users.role} = 'ADMIN' and ${users.active})${after ? sql` or (${after})` : sql``}
    or exists (select 1 from ${admins} where ${admins.id} <> ${id}))`;
}

/**
 * Applies a partial update in one statement: the caller's authentication, the ETag precondition,
 * the last-admin guard and the token version bump (role or activity changed) all decided by the
 * database. Throws the 401, 404, 409 or 412 that explains a refused update. The statement is
 * prepared once per shape of update (which fields, whether an ETag): see updateStatement.
 */
async function updateUser(
  db: Db,
  caller: Caller,
  id: string,
  changes: UserChanges,
  acceptedRevisions: number[] | undefined,
  context: EventContext,
): Promise<UserUpdate> {
  const fields = UPDATABLE.filter((field) => changes[field] !== undefined);
  let raw: Record<string, unknown> | undefined;
  try {
    const result = await updateStatement(db, fields, acceptedRevisions !== undefined).execute({
      ...changes,
      ...callerParams(caller),
      id,
      revisions: acceptedRevisions,
      actor: context.actorId,
      ip: context.ip ?? null,
      user_agent: context.userAgent ?? null,
    });
    [raw] = result.rows;
  } catch (error) {
    rethrowConflict(error);
  }
  if (!raw) throw await explainRefusal(db, caller, id, acceptedRevisions);
  const user = rowOf(users, raw);
  const previousEmail = (raw.previous as { email: string }).email;
  return {
    user,
    previousEmail:
      previousEmail.toLowerCase() !== user.email.toLowerCase() ? previousEmail : undefined,
  };
}

const updateStatement = preparedPerShape(
  (fields: Updatable[], checksRevision: boolean) => `${fields.join(",")};${checksRevision}`,
  (db, fields, checksRevision): PreparedSql =>
    preparedSql(db, buildUpdate(db, fields, checksRevision)),
);

/** The update of these fields, with placeholders for every value (see updateUser's execute). */
function buildUpdate(db: Db, fields: Updatable[], checksRevision: boolean): SQL {
  const value = (name: string) => sql`${sql.placeholder(name)}`;
  const id = sql.placeholder("id");
  const changes = Object.fromEntries(fields.map((field) => [field, value(field)]));
  const newRole = fields.includes("role") ? sql`${value("role")}::user_role` : sql`${users.role}`;
  const newActive = fields.includes("active")
    ? sql`${value("active")}::boolean`
    : sql`${users.active}`;
  const endsSessions = sql`(${newRole} <> ${users.role} or ${newActive} <> ${users.active})`;
  const conditions = [eq(users.id, id), callerIsLive(CALLER_PLACEHOLDERS)];
  if (checksRevision) {
    conditions.push(sql`${users.revision} = any(${value("revisions")}::int[])`);
  }
  const admins =
    fields.includes("role") || fields.includes("active") ? lockedAdmins(db) : undefined;
  if (admins) {
    conditions.push(keepsAnAdmin(admins, id, sql`${newRole} = 'ADMIN' and ${newActive}`));
  }
  const update = (admins ? db.with(admins) : db)
    .update(users)
    .set({
      ...changes,
      // A new address is unverified until its own verification link is used.
      ...(fields.includes("email")
        ? {
            emailVerified: sql`${users.emailVerified} and lower(${users.email}) = lower(${value("email")})`,
          }
        : {}),
      tokenVersion: sql`${users.tokenVersion} + case when ${endsSessions} then 1 else 0 end`,
      revision: sql`${users.revision} + 1`,
      updatedAt: sql`now()`,
    })
    .where(and(...conditions))
    // A subquery in RETURNING reads the row as it was before this statement.
    .returning({
      ...getTableColumns(users),
      previous: sql`(select row_to_json(previous) from ${users} previous
        where previous.id = ${id})`.as("previous"),
    });
  const context = {
    actorId: sql.placeholder("actor"),
    ip: sql.placeholder("ip"),
    userAgent: sql.placeholder("user_agent"),
  };
  return recorded(update, context, changeEvents);
}

/**
 * The events an update records, from the updated rows (`changed`) and their previous state: one
 * for each of an email change, a role change, a deactivation or a reactivation.
 */
const changeEvents = sql`
  select c.id, t.type, t.detail from changed c
  cross join lateral (values
    ('email.changed', lower(c.email) <> lower(c.previous->>'email'), '{}'::jsonb),
    ('role.changed', c.role::text <> c.previous->>'role',
      jsonb_build_object('from', c.previous->>'role', 'to', c.role)),
    ('user.deactivated', (c.previous->>'active')::boolean and not c.active, '{}'::jsonb),
    ('user.activated', not (c.previous->>'active')::boolean and c.active, '{}'::jsonb)
  ) as t(type, happened, detail)
  where t.happened`;

/**
 * Deletes the user (sessions and reset tokens go with the row), unless it is the last admin, in
 * one statement that also authenticates the caller.
 */
export async function removeUser(
  db: Db,
  caller: Caller,
  id: string,
  context: EventContext,
): Promise<void> {
  const admins = lockedAdmins(db);
  const [row] = await runRecorded(
    db,
    db
      .with(admins)
      .delete(users)
      .where(and(eq(users.id, id), callerIsLive(caller), keepsAnAdmin(admins, id)))
      .returning({ id: users.id }),
    context,
    sql`select id, 'user.deleted', '{}'::jsonb from changed`,
  );
  if (!row) throw await explainRefusal(db, caller, id);
}

/** Why a change the caller asked for matched no row: their token, the user, the ETag or the rule. */
async function explainRefusal(
  db: Db,
  caller: Caller,
  id: string,
  acceptedRevisions?: number[],
): Promise<ApiError> {
  const current = await findUserAs(db, caller, id);
  if (!current) return problems.notFound("user");
  if (acceptedRevisions && !acceptedRevisions.includes(current.revision)) {
    return problems.preconditionFailed("The user changed since that ETag; fetch it again.");
  }
  return problems.lastAdmin();
}
