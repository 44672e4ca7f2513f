import {
  and,
  getTableColumns,
  type Placeholder,
  type SQL,
  type SQLWrapper,
  sql,
} from "drizzle-orm";
import { deleteBatch } from "../db/batches";
import type { Db } from "../db/client";
import { rowOf } from "../db/rows";
import { securityEvents } from "../db/schema";
import type { ClientInfo } from "../lib/client";
import type { Caller } from "./caller";
import { fetchPage, type ListSource, type PageRequest } from "./lists";

/** Every kind of security event the API records. */
export const EVENT_TYPES = [
  "user.registered",
  "login.succeeded",
  "login.failed",
  "password.changed",
  "password.reset_requested",
  "password.reset",
  "email.changed",
  "email.verified",
  "role.changed",
  "user.deactivated",
  "user.activated",
  "user.deleted",
  "session.ended",
  "refresh.reuse_detected",
  "mfa.enabled",
  "mfa.disabled",
  "mfa.recovery_code_used",
  "passkey.added",
  "passkey.removed",
  "passkey.counter_regressed",
  "user.imported",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Who did it and from where: the client, and the acting user — left out, the subject itself;
 * null, nobody known (a failed login); else that user (an admin acting on someone).
 */
export type EventContext = ClientInfo & { actorId?: string | null };

/** An EventContext, or (in a prepared statement) placeholders standing for its values. */
export type EventContextValues = { [K in keyof EventContext]: EventContext[K] | Placeholder };

/**
 * An INSERT of security events, one per row of `rows`, a SELECT of (user_id, type, detail). Meant
 * to be a CTE of the statement that makes the change, so the event commits exactly when it does.
 */
export function insertEvents(context: EventContextValues, rows: SQL): SQL {
  const actor = context.actorId === undefined ? sql`e.user_id` : sql`${context.actorId}::uuid`;
  return sql`insert into ${securityEvents} (id, user_id, type, actor_id, ip, user_agent, detail)
    select gen_random_uuid(), e.user_id, e.type, ${actor},
      ${context.ip ?? null}, ${context.userAgent ?? null}, e.detail
    from (${rows}) as e(user_id, type, detail)`;
}

/** One event of a known user, as the `rows` of insertEvents. */
export const eventOf = (userId: string | SQL, type: EventType, detail: object = {}) =>
  sql`select ${userId}::uuid, ${type}::text, ${JSON.stringify(detail)}::jsonb`;

/**
 * Runs a data-modifying statement (INSERT, UPDATE or DELETE ... RETURNING) and records the events
 * `events` selects from its returned rows (available as `changed`), in one statement: a change
 * that fails records nothing, and one that commits always has its events. Returns the statement's
 * rows as the database sent them (see rowOf in src/db/rows.ts).
 */
export async function runRecorded(
  db: Db,
  statement: SQLWrapper,
  context: EventContext,
  events: SQL,
): Promise<Record<string, unknown>[]> {
  const result = await db.execute<Record<string, unknown>>(recorded(statement, context, events));
  return result.rows;
}

/** runRecorded's statement, for a caller that prepares it (db/prepared.ts, preparedSql). */
export function recorded(statement: SQLWrapper, context: EventContextValues, events: SQL): SQL {
  return sql`
    with changed as (${statement.getSQL()}), recorded as (${insertEvents(context, events)})
    select * from changed`;
}

/** Records events on their own, for what changes nothing else (an attempt, a request). */
export async function recordEvents(db: Db, context: EventContext, rows: SQL): Promise<void> {
  await db.execute(insertEvents(context, rows));
}

export type EventFilter = { userId?: string; type?: EventType };

/** What a cursor of an event list is bound to: its filters (the order is always newest first). */
export const eventListBinding = (filter: EventFilter) =>
  ["events", filter.userId ?? null, filter.type ?? null] as const;

/**
 * A page of events, newest first, and their total, with the caller's authentication, in one
 * round trip (services/lists.ts). security_events_user_at_idx serves a user's events,
 * security_events_type_at_idx those of a type, security_events_at_idx all of them.
 */
export async function listEvents(
  db: Db,
  caller: Caller,
  filter: EventFilter,
  request: PageRequest,
) {
  const page = await fetchPage(
    db,
    caller,
    {
      shape: `events:${!!filter.userId},${!!filter.type}`,
      source: () => eventListSource(filter),
      values: { user_id: filter.userId, type: filter.type },
    },
    request,
  );
  return { ...page, rows: page.rows.map((row) => rowOf(securityEvents, row)) };
}

function eventListSource(filter: EventFilter): ListSource {
  const conditions: SQL[] = [];
  if (filter.userId) {
    conditions.push(sql`${securityEvents.userId} = ${sql.placeholder("user_id")}::uuid`);
  }
  if (filter.type) conditions.push(sql`${securityEvents.type} = ${sql.placeholder("type")}::text`);
  return {
    select: (columns, where) => {
      const all = and(...conditions, where);
      return sql`select ${columns} from ${securityEvents}${all ? sql` where ${all}` : sql``}`;
    },
    columns: sql.join(Object.values(getTableColumns(securityEvents)), sql`, `),
    key: sql`${securityEvents.at}`,
    keyType: "timestamptz",
    id: sql`${securityEvents.id}`,
    uniqueKey: false,
    descending: true,
    filtered: false,
    // (at, id), (user_id, at, id) and (type, at, id): each filter's index is in the list's order.
    countInOrder: true,
  };
}

/** The cron's share: events older than the retention period go, a bounded batch at a time. */
export function deleteOldEvents(db: Db, retentionDays: number, limit: number) {
  const old = sql`${securityEvents.at} < now() - make_interval(days => ${retentionDays})`;
  return deleteBatch(db, securityEvents, old, limit);
}
