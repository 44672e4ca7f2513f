import { and, eq, getTableColumns, type Placeholder, type SQL, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Db } from "../db/client";
import { violatedUniqueConstraint } from "../db/errors";
import { type PreparedSql, preparedPerClient, preparedPerShape, preparedSql } from "../db/prepared";
import { columnsOf, rowOf } from "../db/rows";
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
  callerArguments,
  callerIsLive,
  callerParams,
  refusal,
} from "./caller";
import { type EventContext, recordEvents, recorded, runRecorded } from "./events";
import { fetchPage, type ListSource, type Page, type PageRequest } from "./lists";
import {
  assertGranted,
  type Refusals,
  release,
  releaseStatement,
  reservation,
  reserve,
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
    // Keys are counted per client in the database, which every location sees, before the
    // comparison; the right key gives its attempt back.
    if (client) await reserve(db, ["adminKey", client]);
    const key = config.SECRET_ADMIN_KEY;
    if (!key || !(await constantTimeEqual(adminKey, key))) throw problems.invalidAdminKey();
    if (client) await release(db, "adminKey", client);
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
 * a wrong password and an inactive account, in about the same time. Attempts are counted per
 * email in the database (known or not, so the limit reveals nothing) before any hashing, in the
 * same round trip as the user's read: past the limit, 429. The right password gives its attempt
 * back through `release`, a statement the caller runs with its next one (the session's insert).
 * When the stored hash has another cost than the configured one, `upgrade` writes a new hash
 * (the caller runs it in the background).
 */
export async function checkCredentials(
  db: Db,
  config: Pick<Config, "BCRYPT_COST" | "REQUIRE_VERIFIED_EMAIL">,
  credentials: { email: string; password: string },
  context: EventContext,
): Promise<{ user: UserRow; release: SQL; upgrade?: () => Promise<void> }> {
  const { email, password } = credentials;
  const [reserved, [user]] = await db.batch([
    db.execute<Refusals>(reservation([["login", email]])),
    db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`).limit(1),
  ]);
  assertGranted(reserved.rows[0]);
  const matches = await checkLoginPassword(password, user?.passwordHash, config.BCRYPT_COST);
  if (!user || !matches || !user.active) {
    // One statement whether or not the account exists (its shape and time do not depend on
    // which): the event of an account that does. The attempt stays counted.
    await recordEvents(
      db,
      { ...context, actorId: null },
      sql`select id, 'login.failed', '{}'::jsonb from ${users}
        where lower(${users.email}) = lower(${email})`,
    );
    throw problems.invalidCredentials();
  }
  const released = releaseStatement("login", email);
  // Only after the right password, so it tells nothing to someone without it.
  if (config.REQUIRE_VERIFIED_EMAIL && !user.emailVerified) {
    await db.execute(released);
    throw problems.emailNotVerified();
  }
  if (!needsRehash(user.passwordHash, config.BCRYPT_COST)) return { user, release: released };
  const upgrade = async () => {
    const upgraded = await hashPassword(password, config.BCRYPT_COST);
    // Only over the hash that was checked: a password changed meanwhile is not overwritten.
    await db
      .update(users)
      .set({ passwordHash: upgraded })
      .where(and(eq(users.id, user.id), eq(users.passwordHash, user.passwordHash)));
  };
  return { user, release: released, upgrade };
}

/** A user as a read shows it: the public columns and the revision its ETag is made of. */
export type UserView = PublicUserRow & Pick<UserRow, "revision">;

/** The columns of a read, as read_user_as (drizzle/0016_session_liveness.sql) names them. */
const userViewColumns = { ...publicUserColumns, revision: users.revision };

/**
 * The read of one user with the caller's check: the PL/pgSQL function read_user_as, so that the
 * statement names no table and PostgreSQL plans nothing per request (BENCHMARKS.md, "PostgreSQL's
 * CPU per request"). It answers NULL for a caller who is not live, else the row, or {} for no
 * such user.
 */
const userAsCallerQuery = preparedPerClient((db) =>
  preparedSql(
    db,
    sql`select read_user_as(${callerArguments(CALLER_PLACEHOLDERS)}, ${sql.placeholder("id")}) as read`,
  ),
);

/**
 * The user with the id, read with whether the caller is live, in one statement: the caller's
 * authentication rides on the read instead of taking a round trip of its own.
 */
async function findUserAs(db: Db, caller: Caller, id: string): Promise<UserView | undefined> {
  const { rows } = await userAsCallerQuery(db).execute({ id, ...callerParams(caller) });
  const read = rows[0]?.read as Record<string, unknown> | null | undefined;
  await assertCallerLive(db, caller, read !== null && read !== undefined);
  return read && "id" in read ? columnsOf(userViewColumns, read) : undefined;
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

/**
 * The key of each sort, and whether it is unique. Usernames and emails are unique as lowercased
 * (their unique indexes on lower(), which also serve these orders), so they need no tie-break;
 * creation times may tie, so users_created_at_idx orders by (created_at, id).
 */
const sortKeys = {
  created_at: { key: sql`${users.createdAt}`, keyType: "timestamptz", uniqueKey: false },
  username: { key: sql`lower(${users.username})`, keyType: "text", uniqueKey: true },
  email: { key: sql`lower(${users.email})`, keyType: "text", uniqueKey: true },
} as const;

export type UserListFilter = {
  q?: string;
  role?: Role;
  active?: boolean;
  externalId?: string;
  sort: UserSort;
};

/** What a cursor of the user list is bound to: the order and the filters. */
export const userListBinding = (filter: UserListFilter) =>
  [
    "users",
    filter.sort,
    filter.q ?? null,
    filter.role ?? null,
    filter.active ?? null,
    filter.externalId ?? null,
  ] as const;

/**
 * A page of users and their total, with the caller's authentication, in one round trip: see
 * services/lists.ts for how each costs a bounded amount of work.
 */
export async function searchUsers(
  db: Db,
  caller: Caller,
  filter: UserListFilter,
  request: PageRequest,
): Promise<Page<PublicUserRow>> {
  const page = await fetchPage(
    db,
    caller,
    {
      shape: `users:${!!filter.q},${!!filter.role},${filter.active !== undefined},${filter.externalId !== undefined},${filter.sort}`,
      source: () => userListSource(filter),
      values: {
        pattern: filter.q && containing(filter.q),
        role: filter.role,
        active: filter.active,
        external_id: filter.externalId,
      },
    },
    request,
  );
  return { ...page, rows: page.rows.map((row) => rowOf(users, row)) };
}

/** A LIKE pattern that matches the text anywhere, its own wildcards escaped. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/**
 * The user list of a filter's shape, its values as placeholders (cast, for the planner's estimate
 * passes them as text).
 */
function userListSource(filter: UserListFilter): ListSource {
  const conditions: SQL[] = [];
  if (filter.q) {
    conditions.push(sql`${userSearchText(users)} like lower(${sql.placeholder("pattern")}::text)`);
  }
  if (filter.role) conditions.push(sql`${users.role} = ${sql.placeholder("role")}::user_role`);
  if (filter.active !== undefined) {
    conditions.push(sql`${users.active} = ${sql.placeholder("active")}::boolean`);
  }
  if (filter.externalId !== undefined) {
    conditions.push(sql`${users.externalId} = ${sql.placeholder("external_id")}::text`);
  }
  const descending = filter.sort.startsWith("-");
  const { key, keyType, uniqueKey } =
    sortKeys[filter.sort.replace(/^-/, "") as keyof typeof sortKeys];
  return {
    select: (columns, where) => {
      const all = and(...conditions, where);
      return sql`select ${columns} from ${users}${all ? sql` where ${all}` : sql``}`;
    },
    columns: sql.join(Object.values(publicUserColumns), sql`, `),
    key,
    keyType,
    id: sql`${users.id}`,
    uniqueKey,
    descending,
    // A search's matches can sit anywhere in the order, and its selectivity is hard to estimate:
    // its page comes from the counted matches when they are all of them, as does that of an
    // external id (users_external_id_idx finds its one user). The role and active filters the
    // planner estimates well (their statistics list every value), and their bounded count reads
    // users_role_active_idx or users_active_role_idx alone.
    filtered: filter.q !== undefined || filter.externalId !== undefined,
  };
}

/**
 * Re-authentication for what would let a stolen access token take the account for good (a new
 * password, a new email, a second factor of the thief's or none): the current password. Each
 * attempt is counted per user in the database before bcrypt runs, so a stolen token is no
 * password-guessing oracle, however many requests it sends at once; the right one gives its
 * attempt back.
 */
export async function verifyCurrentPassword(
  db: Db,
  user: UserRow,
  password: string,
): Promise<void> {
  await reserve(db, ["currentPassword", user.id]);
  if (!(await verifyPassword(password, user.passwordHash))) throw problems.invalidCurrentPassword();
  await release(db, "currentPassword", user.id);
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
