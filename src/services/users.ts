import { and, asc, count, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Db } from "../db/client";
import { type UserRow, userSearchText, users } from "../db/schema";
import { pgErrorOf } from "../lib/errors";
import { ApiError } from "../lib/problem";

const uniqueFields: Record<string, "username" | "email"> = {
  users_username_lower_key: "username",
  users_email_lower_key: "email",
};

/** Turns a unique violation on username or email into the 409 the API promises. */
export function rethrowConflict(error: unknown): never {
  const pg = pgErrorOf(error);
  const field = pg?.code === "23505" && pg.constraint ? uniqueFields[pg.constraint] : undefined;
  if (field) {
    throw new ApiError(409, "conflict", `That ${field} is already taken.`, {
      errors: [{ path: field, message: "is already taken" }],
    });
  }
  throw error;
}

export type NewUser = {
  username: string;
  email: string;
  firstName: string;
  lastName: string;
  passwordHash: string;
  role: "ADMIN" | "USER";
};

/** One insert: the database's case-insensitive unique indexes settle concurrent registrations. */
export async function createUser(db: Db, user: NewUser): Promise<UserRow> {
  try {
    const [row] = await db
      .insert(users)
      .values({ id: uuidv7(), ...user })
      .returning();
    if (!row) throw new Error("insert returned no row");
    return row;
  } catch (error) {
    rethrowConflict(error);
  }
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = lower(${email})`)
    .limit(1);
  return row;
}

export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
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
  role?: "ADMIN" | "USER";
  active?: boolean;
  sort: "created_at" | "-created_at" | "username" | "-username" | "email" | "-email";
};

/** A page of users and the total that match, in one round trip (a window count). */
export async function listUsers(db: Db, filter: UserListFilter) {
  const conditions: SQL[] = [];
  if (filter.q) {
    const pattern = `%${filter.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    conditions.push(sql`${userSearchText(users)} like lower(${pattern})`);
  }
  if (filter.role) conditions.push(eq(users.role, filter.role));
  if (filter.active !== undefined) conditions.push(eq(users.active, filter.active));
  const where = conditions.length ? and(...conditions) : undefined;

  const descending = filter.sort.startsWith("-");
  const key = filter.sort.replace(/^-/, "") as keyof typeof sortColumns;
  const direction = descending ? desc : asc;
  const order = [...sortColumns[key].map((column) => direction(column)), direction(users.id)];

  const rows = await db
    .select({ user: users, total: sql<number>`count(*) over()`.mapWith(Number) })
    .from(users)
    .where(where)
    .orderBy(...order)
    .limit(filter.perPage)
    .offset((filter.page - 1) * filter.perPage);

  // Past the last page the window count has no row to ride on: count separately.
  const total =
    rows[0]?.total ??
    (filter.page > 1 ? ((await db.select({ n: count() }).from(users).where(where))[0]?.n ?? 0) : 0);
  return { users: rows.map((r) => r.user), total };
}

/** Sets a new password and moves the token version, ending every session the user had. */
export async function changePasswordOf(db: Db, user: UserRow, passwordHash: string) {
  const [row] = await db
    .update(users)
    .set({
      passwordHash,
      tokenVersion: sql`${users.tokenVersion} + 1`,
      revision: sql`${users.revision} + 1`,
      updatedAt: sql`now()`,
    })
    .where(and(eq(users.id, user.id), eq(users.tokenVersion, user.tokenVersion)))
    .returning();
  if (!row) throw new ApiError(409, "conflict", "The account changed meanwhile; try again.");
  return row;
}

export type UserChanges = Partial<
  Pick<UserRow, "username" | "email" | "firstName" | "lastName" | "role" | "active">
>;

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
      .for("update"),
  );

/** True where the row is not an active admin, or another active admin remains. */
function keepsAnAdmin(admins: ReturnType<typeof lockedAdmins>, id: string, after?: SQL) {
  return sql`(not (${users.role} = 'ADMIN' and ${users.active})${after ? sql` or (${after})` : sql``}
    or exists (select 1 from ${admins} where ${admins.id} <> ${id}))`;
}

/**
 * Applies a partial update in one statement: the ETag precondition, the last-admin guard and the
 * token version bump (role or activity changed) all decided by the database. Throws the 404,
 * 409 or 412 that explains a refused update.
 */
export async function updateUser(
  db: Db,
  id: string,
  changes: UserChanges,
  acceptedRevisions?: number[],
): Promise<UserRow> {
  const admins = lockedAdmins(db);
  const newRole = changes.role === undefined ? sql`${users.role}` : sql`${changes.role}::user_role`;
  const newActive =
    changes.active === undefined ? sql`${users.active}` : sql`${changes.active}::boolean`;
  const endsSessions = sql`(${newRole} <> ${users.role} or ${newActive} <> ${users.active})`;
  const conditions = [eq(users.id, id)];
  if (acceptedRevisions) conditions.push(inArray(users.revision, acceptedRevisions));
  const touchesAdmin = changes.role !== undefined || changes.active !== undefined;
  if (touchesAdmin) {
    conditions.push(keepsAnAdmin(admins, id, sql`${newRole} = 'ADMIN' and ${newActive}`));
  }
  const update = (touchesAdmin ? db.with(admins) : db)
    .update(users)
    .set({
      ...changes,
      tokenVersion: sql`${users.tokenVersion} + case when ${endsSessions} then 1 else 0 end`,
      revision: sql`${users.revision} + 1`,
      updatedAt: sql`now()`,
    })
    .where(and(...conditions))
    .returning();
  let row: UserRow | undefined;
  try {
    [row] = await update;
  } catch (error) {
    rethrowConflict(error);
  }
  if (row) return row;
  throw await explainRefusal(db, id, acceptedRevisions);
}

/** Deletes the user (sessions and reset tokens go with the row), unless it is the last admin. */
export async function deleteUser(db: Db, id: string): Promise<void> {
  const admins = lockedAdmins(db);
  const [row] = await db
    .with(admins)
    .delete(users)
    .where(and(eq(users.id, id), keepsAnAdmin(admins, id)))
    .returning({ id: users.id });
  if (!row) throw await explainRefusal(db, id);
}

async function explainRefusal(db: Db, id: string, acceptedRevisions?: number[]): Promise<ApiError> {
  const current = await findUserById(db, id);
  if (!current) return new ApiError(404, "not_found", "No user has that id.");
  if (acceptedRevisions && !acceptedRevisions.includes(current.revision)) {
    return new ApiError(
      412,
      "precondition_failed",
      "The user changed since that ETag; fetch it again.",
    );
  }
  return new ApiError(
    409,
    "last_admin",
    "The last active admin cannot be demoted, deactivated or deleted.",
  );
}
