// Keyset pagination with bounded totals, shared by every list of the API (users, security events,
// sessions): each page is one statement whose work does not grow with the table. The page walks
// the index of its order from the cursor's edge row (no OFFSET past a bounded depth, no sort of
// every match), and the total is counted up to EXACT_TOTAL_LIMIT matches; past that the planner's
// estimate stands in for it, unless the client asked for the exact count and its cost.
import { and, type Placeholder, type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Db } from "../db/client";
import { preparedPerShape, preparedSql } from "../db/prepared";
import type { CursorPosition } from "../lib/cursor";
import {
  assertCallerLive,
  CALLER_PLACEHOLDERS,
  type Caller,
  callerIsLive,
  callerParams,
} from "./caller";

/** Up to this many matches a total is exact; it is also how deep `page` may reach. */
export const EXACT_TOTAL_LIMIT = 10_000;

/** Where a page starts: the first row (skipping `offset` rows), a cursor's edge, or the end. */
export type PageStart = { direction: "start"; offset: number } | CursorPosition;

/** What a list request asks for, beyond its filters. */
export type PageRequest = { start: PageStart; perPage: number; exactTotal: boolean };

/** A page's total: exact, or the planner's estimate when more than EXACT_TOTAL_LIMIT match. */
export type Total = { exact: number } | { estimate: number };

/**
 * A page: its rows in the list's order, where the previous and the next page start (absent when
 * nothing is known to lie that way), and the total.
 */
export type Page<T> = {
  rows: T[];
  perPage: number;
  prev?: CursorPosition;
  next?: CursorPosition;
  total: Total;
};

/**
 * A list as SQL: the matching rows (a SELECT of `columns`, with `where` added to the list's own
 * conditions, before any GROUP BY), and the order they are paged in: `key`, then `id` unless the
 * key is unique. An index must serve that order, so that a page walks it and stops.
 */
export type ListSource = {
  select(columns: SQL, where?: SQL): SQL;
  /** What a page shows of each row. */
  columns: SQL;
  /** The sort key, and the type its text form (in a cursor) is read back as. */
  key: SQL;
  keyType: "timestamptz" | "text" | "uuid";
  /** The row's id, which a cursor carries; the order's tie-break unless `key` is unique. */
  id: SQL;
  uniqueKey: boolean;
  descending: boolean;
  /**
   * Whether the list has conditions that the order's index does not serve (a search, a filter):
   * walking that index, a page would read every row that fails them until enough pass, which is
   * most of the table when few match, or when those that do sit at the far end of the order. So
   * the page of such a list is taken from the bounded count's rows, sorted, when they are all
   * the matches, and from the walk only when more than EXACT_TOTAL_LIMIT match (see buildPage).
   */
  filtered: boolean;
  /**
   * Whether one index serves every condition of the list and its order, whatever the filters
   * (the event log, a user's sessions): its bounded count then walks that index in the list's
   * order, 10,001 entries of it at most, most often an index-only scan in shared buffers. Without
   * an order the planner counts with a sequential scan that stops at 10,001 rows, which on a table
   * larger than a quarter of shared_buffers reads its pages through a small ring, copied in from
   * the OS cache on every request (BENCHMARKS.md, "The session lists and event logs on the curve").
   * Not for a list whose filters another index serves (the users' role): ordering its count would
   * make the planner walk the order's index past every row that fails the filter.
   */
  countInOrder?: boolean;
};

const dialect = new PgDialect();

/** An ORDER BY of the list's rows: `key`, then `id` unless the key is unique, in one direction. */
function orderBy(source: ListSource, descending: boolean, key = source.key, id = source.id): SQL {
  const dir = descending ? sql`desc` : sql`asc`;
  return source.uniqueKey ? sql`${key} ${dir}` : sql`${key} ${dir}, ${id} ${dir}`;
}

/**
 * The one statement of a page: the bounded (or exact) count and, only when it overflowed, the
 * planner's estimate of the matches (planner_row_estimate, a migration's function that EXPLAINs
 * the list's own query with the request's values); whether the caller is live; and the page,
 * joined to that one row so that an empty page still answers it. Values are placeholders: the
 * statement is prepared once per shape and client (pageStatement).
 */
function buildPage(source: ListSource, start: PageStart["direction"], exactTotal: boolean): SQL {
  const limit = sql.raw(String(EXACT_TOTAL_LIMIT + 1));
  // The matches the count reads, at most one past the limit, with their keys for a filtered
  // list: a CTE read once (materialized) by the count and by the page.
  const matches = sql`${source.select(sql`${source.key} as k, ${source.id} as i`)} limit ${limit}`;
  const counted = exactTotal
    ? sql`select count(*) as n from (${source.select(sql`1`)}) matching`
    : source.filtered
      ? sql`select count(*) as n from matches`
      : sql`select count(*) as n from (${source.select(sql`1`)}${
          source.countInOrder ? sql` order by ${orderBy(source, source.descending)}` : sql``
        } limit ${limit}) matching`;

  // The list's query as text, its placeholders numbered $1, $2, ... in the order of `params`.
  const query = dialect.sqlToQuery(source.select(sql`1`));
  const values = query.params as Placeholder[];
  if (values.length > 4) throw new Error("planner_row_estimate takes at most 4 values");
  const estimate = sql`planner_row_estimate(${query.sql}${sql.join(
    values.map((value) => sql`, ${value}::text`),
  )})`;

  // A backward page (before a cursor, or from the end) walks the order in reverse, and is put
  // back in the list's order by the outer ORDER BY.
  const backward = start === "before" || start === "end";
  const descending = source.descending !== backward;
  const beyond = descending ? sql`<` : sql`>`;
  const cursorKey = sql`${sql.placeholder("cursor_key")}::${sql.raw(source.keyType)}`;
  const cursorId = sql`${sql.placeholder("cursor_id")}::uuid`;
  const keyset = (key: SQL, id: SQL) =>
    start === "after" || start === "before"
      ? source.uniqueKey
        ? sql`${key} ${beyond} ${cursorKey}`
        : sql`(${key}, ${id}) ${beyond} (${cursorKey}, ${cursorId})`
      : undefined;
  const order = (key: SQL, id: SQL) => orderBy(source, descending, key, id);
  const slice = sql`limit ${sql.placeholder("limit")}${
    start === "start" ? sql` offset ${sql.placeholder("offset")}` : sql``
  }`;
  const pageColumns = sql`${source.columns}, ${source.key} as sort_key, ${source.id} as sort_id`;
  const walk = (where?: SQL) =>
    sql`${source.select(pageColumns, and(keyset(source.key, source.id), where))}
      order by ${order(source.key, source.id)} ${slice}`;
  const full = sql.raw(String(EXACT_TOTAL_LIMIT));
  // A filtered list: its page from the matches the count read when they are all of them (a sort
  // of at most EXACT_TOTAL_LIMIT keys), else (so many match that the walk soon finds a page) from
  // the walk. Each branch is gated by the count, so only one runs.
  const rows = source.filtered
    ? sql`(${source.select(
        pageColumns,
        sql`${source.id} in (select i from matches where ${keyset(sql`k`, sql`i`) ?? sql`true`}
          order by ${order(sql`k`, sql`i`)} ${slice}) and meta.total <= ${full}`,
      )}) union all (${walk(sql`meta.total > ${full}`)})`
    : walk();
  const outerDir = source.descending ? sql`desc` : sql`asc`;
  return sql`
    ${source.filtered ? sql`with matches as materialized (${matches})` : sql``}
    select meta.total, meta.estimate, meta.caller_live, page.*, page.sort_key::text as cursor_key
    from (
      select counted.n as total,
        ${exactTotal ? sql`null` : sql`case when counted.n > ${full} then ${estimate} end`}
          as estimate,
        ${callerIsLive(CALLER_PLACEHOLDERS)} as caller_live
      from (${counted}) counted
    ) meta
    left join lateral (${rows}) page on true
    order by page.sort_key ${outerDir}, page.sort_id ${outerDir}`;
}

/**
 * The rows of a list's page and its edges and total, with the caller's authentication, in one
 * round trip. `shape` names what the source's SQL depends on (which filters, which order): one
 * statement is prepared per shape, start and kind of total.
 */
export async function fetchPage(
  db: Db,
  caller: Caller,
  list: { shape: string; source: () => ListSource; values: Record<string, unknown> },
  request: PageRequest,
): Promise<Page<Record<string, unknown>>> {
  const { start, perPage, exactTotal } = request;
  const statement = pageStatement(db, list.shape, start.direction, exactTotal, list.source);
  const result = await statement.execute({
    ...list.values,
    ...callerParams(caller),
    // One row more than the page, to tell whether another lies beyond it.
    limit: perPage + 1,
    offset: start.direction === "start" ? start.offset : undefined,
    cursor_key: "key" in start ? start.key : undefined,
    cursor_id: "id" in start ? start.id : undefined,
  });
  const [meta] = result.rows;
  await assertCallerLive(db, caller, meta?.caller_live as boolean | undefined);
  const n = Number(meta?.total ?? 0);
  const total: Total =
    n <= EXACT_TOTAL_LIMIT || exactTotal
      ? { exact: n }
      : // The count stopped past the limit: more match than any estimate below it says.
        { estimate: Math.max(EXACT_TOTAL_LIMIT + 1, Math.round(Number(meta?.estimate ?? 0))) };

  let rows = result.rows.filter((row) => row.sort_id !== null);
  const backward = start.direction === "before" || start.direction === "end";
  const more = rows.length > perPage;
  // The extra row is the one farthest along the walk: the first in list order when walking back.
  if (more) rows = backward ? rows.slice(1) : rows.slice(0, perPage);
  const edge = (direction: "after" | "before", row: Record<string, unknown> | undefined) =>
    row ? { direction, key: String(row.cursor_key), id: String(row.sort_id) } : undefined;
  // Rows lie before a page that a cursor or an offset reached, and after one reached backwards
  // from a cursor; beyond the walk's own end, only when the extra row came.
  const hasBefore = backward
    ? more
    : start.direction === "after" || (start.direction === "start" && start.offset > 0);
  const hasAfter = backward ? start.direction === "before" : more;
  return {
    rows,
    perPage,
    // Past the end, the page before is the last one.
    prev: hasBefore ? (edge("before", rows[0]) ?? { direction: "end" }) : undefined,
    next: hasAfter ? edge("after", rows.at(-1)) : undefined,
    total,
  };
}

const pageStatement = preparedPerShape(
  (shape: string, start: PageStart["direction"], exactTotal: boolean, _source: () => ListSource) =>
    `${shape};${start};${exactTotal}`,
  (db, _shape, start, exactTotal, source) =>
    preparedSql(db, buildPage(source(), start, exactTotal)),
);
