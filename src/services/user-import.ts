// POST /users/import: users of another system (the original Flask API, say), with the bcrypt
// hashes they already have, written in one statement per batch.
import { type SQL, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { Db } from "../db/client";
import { violatedUniqueConstraint } from "../db/errors";
import { type Role, users } from "../db/schema";
import { NO_PASSWORD } from "../lib/password";
import { type FieldError, problems } from "../lib/problems";
import { assertCallerLive, type Caller, callerIsLive } from "./caller";
import { type EventContext, insertEvents } from "./events";

/** One user to import, as the field rules accepted it. */
export type ImportUser = {
  email: string;
  username: string;
  firstName: string;
  lastName: string;
  role?: Role;
  active?: boolean;
  emailVerified?: boolean;
  createdAt?: Date;
  externalId?: string;
  passwordHash?: string;
};

/** An item of the batch: a user to import, or the field errors that keep it out. */
export type ImportItem = { user: ImportUser } | { errors: FieldError[] };

export type ImportStatus = "created" | "updated" | "unchanged" | "invalid" | "conflict";
export type ImportResult = {
  index: number;
  status: ImportStatus;
  id?: string;
  errors?: FieldError[];
};

export type ImportOptions = { mode: "create" | "upsert"; dryRun: boolean };

/**
 * Imports a batch: every item the field rules accepted goes into one statement (one round trip)
 * that reads what exists, decides each item's outcome, writes the created and updated users and
 * their `user.imported` events, and answers one row per item. An item is written whole or not at
 * all: invalid items never reach the database, and conflicts (an email taken in create mode, a
 * username another user has, the last active admin) are reported and change nothing.
 *
 * Upsert matches by email, case-insensitively, and changes only what differs, so a second
 * identical run reports every user unchanged. It never replaces a password an account already
 * has (it may have been changed, or upgraded at login, since): a hash is written only where the
 * account has none yet.
 */
export async function importUsers(
  db: Db,
  caller: Caller,
  items: ImportItem[],
  options: ImportOptions,
  context: EventContext,
): Promise<ImportResult[]> {
  const results: ImportResult[] = [];
  const rows: ImportRow[] = [];
  // Two items of one batch naming one account would each be decided against the same snapshot;
  // the later one is refused instead, with the index of the earlier.
  const seen = { email: new Map<string, number>(), username: new Map<string, number>() };
  items.forEach((item, index) => {
    if ("errors" in item) {
      results[index] = { index, status: "invalid", errors: item.errors };
      return;
    }
    const { user } = item;
    const errors = (["email", "username"] as const).flatMap((field) => {
      const earlier = seen[field].get(user[field].toLowerCase());
      return earlier === undefined
        ? []
        : [{ path: field, message: `is the same as item ${earlier}'s` }];
    });
    if (errors.length > 0) {
      results[index] = { index, status: "invalid", errors };
      return;
    }
    seen.email.set(user.email.toLowerCase(), index);
    seen.username.set(user.username.toLowerCase(), index);
    rows.push(importRow(index, user));
  });

  let answered: Record<string, unknown>[];
  try {
    answered = (await db.execute(importStatement(rows, caller, options, context))).rows;
  } catch (error) {
    // A username taken by a concurrent request after this statement looked: nothing was written.
    if (violatedUniqueConstraint(error)) throw problems.changedMeanwhile();
    throw error;
  }
  await assertCallerLive(db, caller, answered[0]?.caller_live as boolean | undefined);
  for (const row of answered) {
    if (row.idx === null) continue;
    const index = Number(row.idx);
    const status = row.status as ImportStatus;
    const reason = row.reason as Reason | null;
    results[index] = {
      index,
      status,
      ...(row.id ? { id: String(row.id) } : {}),
      ...(reason ? { errors: [CONFLICTS[reason]] } : {}),
    };
  }
  return results;
}

type Reason = keyof typeof CONFLICTS;

/** Why an item conflicts, as the field error its result carries. */
const CONFLICTS = {
  email: { path: "email", message: "is already taken" },
  username: { path: "username", message: "is already taken" },
  raced: { path: "email", message: "or username was taken by another request meanwhile" },
  last_admin: {
    path: "role",
    message: "would leave no active admin: the last active admin cannot be demoted or deactivated",
  },
} as const satisfies Record<string, FieldError>;

/** An item as the statement reads it (jsonb_to_recordset): database column names. */
type ImportRow = {
  idx: number;
  id: string;
  email: string;
  username: string;
  first_name: string;
  last_name: string;
  role: Role | null;
  active: boolean | null;
  email_verified: boolean | null;
  created_at: string | null;
  external_id: string | null;
  password_hash: string | null;
};

function importRow(idx: number, user: ImportUser): ImportRow {
  return {
    idx,
    id: uuidv7(),
    email: user.email,
    username: user.username,
    first_name: user.firstName,
    last_name: user.lastName,
    role: user.role ?? null,
    active: user.active ?? null,
    email_verified: user.emailVerified ?? null,
    created_at: user.createdAt?.toISOString() ?? null,
    external_id: user.externalId ?? null,
    password_hash: user.passwordHash ?? null,
  };
}

/**
 * The batch as one statement. Its steps, as CTEs: `caller` (the caller's authentication, which
 * every write depends on), `items` (the batch), `matched` (each item with the account of its
 * email, and whether another account has its username), `decided` (what each item would do),
 * `final` (the last-admin rule over the whole batch), the writes and their events, and one row
 * per item (or a single row with no item, which still tells whether the caller is live).
 */
function importStatement(
  rows: ImportRow[],
  caller: Caller,
  { mode, dryRun }: ImportOptions,
  context: EventContext,
): SQL {
  // Nothing is written in a dry run, nor for a caller whose token is no longer live.
  const writes = dryRun ? sql`false` : sql`(select live from caller)`;
  // Active admins, locked in id order (as updates lock them, services/users.ts), so two batches
  // demoting different admins at once are serialised and the second sees who is left.
  const lockedAdmins =
    mode === "upsert"
      ? sql`locked_admins as (select id from ${users} where role = 'ADMIN' and active
          order by id for update),`
      : sql`locked_admins as (select null::uuid as id where false),`;
  return sql`
    with caller as (select ${callerIsLive(caller)} as live),
    ${lockedAdmins}
    items as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as i(
        idx int, id uuid, email text, username text, first_name text, last_name text,
        role user_role, active boolean, email_verified boolean, created_at timestamptz,
        external_id text, password_hash text)
    ),
    matched as (
      select i.*, u.id as existing_id, u.role as old_role, u.active as old_active,
        exists (select 1 from ${users} o where lower(o.username) = lower(i.username)
          and o.id is distinct from u.id) as username_taken,
        (u.id is not null and u.username = i.username and u.email = i.email
          and u.first_name = i.first_name and u.last_name = i.last_name
          and u.role = coalesce(i.role, u.role) and u.active = coalesce(i.active, u.active)
          and u.email_verified = coalesce(i.email_verified, u.email_verified)
          and u.external_id is not distinct from coalesce(i.external_id, u.external_id)
          and (i.password_hash is null or u.password_hash <> ${NO_PASSWORD})) as same
      from items i left join ${users} u on lower(u.email) = lower(i.email)
    ),
    decided as (
      select m.*,
        case
          when m.existing_id is not null and ${mode}::text = 'create' then 'email'
          when m.username_taken then 'username'
        end as reason,
        case
          when m.existing_id is null then 'created'
          when m.same then 'unchanged'
          else 'updated'
        end as outcome,
        coalesce(m.old_role = 'ADMIN' and m.old_active and not (
          coalesce(m.role, m.old_role) = 'ADMIN' and coalesce(m.active, m.old_active)), false)
          as demotes
      from matched m
    ),
    final as (
      select d.idx, d.id, d.existing_id, d.outcome, d.email, d.username, d.first_name,
        d.last_name, d.role, d.active, d.email_verified, d.created_at, d.external_id,
        d.password_hash,
        coalesce(d.reason, case when d.demotes and d.outcome = 'updated' and not exists (
          select 1 from locked_admins a where a.id not in (
            select existing_id from decided where demotes and reason is null))
          then 'last_admin' end) as reason
      from decided d
    ),
    inserted as (
      insert into ${users} (id, username, email, first_name, last_name, password_hash, role,
        active, email_verified, external_id, created_at, updated_at)
      select id, username, email, first_name, last_name, coalesce(password_hash, ${NO_PASSWORD}),
        coalesce(role, 'USER'), coalesce(active, true), coalesce(email_verified, false),
        external_id, coalesce(created_at, now()), now()
      from final where outcome = 'created' and reason is null and ${writes}
      -- An email or username a concurrent request took since: reported as a conflict below.
      on conflict do nothing
      returning id
    ),
    updated as (
      update ${users} u set
        username = f.username, email = f.email, first_name = f.first_name,
        last_name = f.last_name, role = coalesce(f.role, u.role),
        active = coalesce(f.active, u.active),
        email_verified = coalesce(f.email_verified, u.email_verified),
        external_id = coalesce(f.external_id, u.external_id),
        password_hash = case when u.password_hash = ${NO_PASSWORD}
          then coalesce(f.password_hash, u.password_hash) else u.password_hash end,
        -- A new role or activity ends the user's sessions, as an admin's update does.
        token_version = u.token_version + case when coalesce(f.role, u.role) <> u.role
          or coalesce(f.active, u.active) <> u.active then 1 else 0 end,
        revision = u.revision + 1, updated_at = now()
      from final f
      where u.id = f.existing_id and f.outcome = 'updated' and f.reason is null and ${writes}
      returning u.id
    ),
    recorded as (${insertEvents(
      context,
      sql`select id, 'user.imported', '{"action":"created"}'::jsonb from inserted
        union all select id, 'user.imported', '{"action":"updated"}'::jsonb from updated`,
    )}),
    answered as (
      select f.idx,
        case
          when f.reason is not null then 'conflict'
          when f.outcome = 'created' and ${writes}
            and not exists (select 1 from inserted where inserted.id = f.id) then 'conflict'
          else f.outcome
        end as status,
        case
          when f.reason is not null then f.reason
          when f.outcome = 'created' and ${writes}
            and not exists (select 1 from inserted where inserted.id = f.id) then 'raced'
        end as reason,
        case when f.outcome = 'created' then
          (select inserted.id from inserted where inserted.id = f.id)
          else f.existing_id end as id
      from final f
    )
    select (select live from caller) as caller_live, a.idx,
      a.status, a.reason, case when a.reason is null then a.id end as id
    from (select 1) as one left join answered a on true`;
}
