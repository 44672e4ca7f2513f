// The paging of every list (GET /users, the event logs, the session lists): its query
// parameters, how a request's cursor or page becomes where the page starts, and the headers of
// the answer (the total and the RFC 8288 links, whose cursors are made here).
import { z } from "@hono/zod-openapi";
import { type CursorPosition, decodeCursor, encodeCursor, type ListBinding } from "../lib/cursor";
import { problems } from "../lib/problems";
import { EXACT_TOTAL_LIMIT, type Page, type PageRequest } from "../services/lists";

/**
 * A query integer in decimal digits only (no `1e2`, `0x10` or spaces, which Number() would take),
 * from `min` to `max`; every way to miss says the allowed range.
 */
const queryInteger = (name: string, min: number, max: number, why = "") => {
  const message = `must be an integer from ${min} to ${max}${why}`;
  return z
    .string()
    .regex(/^[0-9]{1,10}$/, message)
    .transform(Number)
    .pipe(z.number().min(min, message).max(max, message))
    .openapi({ param: { name, in: "query" }, type: "integer", minimum: min, maximum: max });
};

const PER_PAGE_DEFAULT = 20;
const DEEPER = `, and page × per_page at most ${EXACT_TOTAL_LIMIT}; to go deeper, follow the cursor of the Link header's next page (cursor)`;

/** `cursor`, `page`, `per_page` and `count`, to spread into a list's query schema. */
export const pageQuery = {
  cursor: z
    .string()
    .max(2048, "is not a cursor of this list")
    .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/, "is not a cursor of this list")
    .optional()
    .openapi({
      param: { name: "cursor", in: "query" },
      description:
        "Where the page starts: the opaque value of a `cursor` in a `Link` of an earlier answer (`next`, `prev` or `last`), made for this very list (same sort and filters). Anything else, altered or not, is 422. It stays valid while rows come and go: paging on from it never repeats or skips a row.",
    }),
  page: queryInteger("page", 1, EXACT_TOTAL_LIMIT, DEEPER)
    .optional()
    .openapi({
      description: `For clients of page numbers (1-based), instead of \`cursor\`: only as deep as the first ${EXACT_TOTAL_LIMIT.toLocaleString("en")} rows (\`page\` × \`per_page\` ≤ ${EXACT_TOTAL_LIMIT.toLocaleString("en")}); deeper is 422, follow the \`next\` cursor instead.`,
      example: 1,
    }),
  per_page: queryInteger("per_page", 1, 100)
    .default(PER_PAGE_DEFAULT)
    .openapi({ default: PER_PAGE_DEFAULT, example: PER_PAGE_DEFAULT }),
  count: z
    .enum(["exact"], "must be exact")
    .optional()
    .openapi({
      param: { name: "count", in: "query" },
      description: `\`exact\` makes \`X-Total-Count\` exact however many rows match. It costs a count of every match, which grows with the data (over a second of database time for a million rows), where the default total costs at most ${EXACT_TOTAL_LIMIT.toLocaleString("en")} rows: ask for it only when the number is needed.`,
    }),
};

export type PageQuery = { cursor?: string; page?: number; per_page: number; count?: "exact" };

/**
 * Where the requested page starts: the cursor's position (refused with 422 unless it is one this
 * server made for this list), or the page number's offset, refused past the bounded depth.
 */
export async function pageRequest(
  secret: string,
  binding: ListBinding,
  query: PageQuery,
): Promise<PageRequest> {
  const request = { perPage: query.per_page, exactTotal: query.count === "exact" };
  if (query.cursor !== undefined) {
    if (query.page !== undefined) {
      throw problems.invalidFields([
        { path: "query.page", message: "cannot be combined with cursor; send one of them" },
      ]);
    }
    const start = await decodeCursor(secret, binding, query.cursor);
    if (!start) {
      throw problems.invalidFields([
        {
          path: "query.cursor",
          message:
            "is not a cursor of this list (altered, or made for another sort or filter); start again from the first page",
        },
      ]);
    }
    return { ...request, start };
  }
  const page = query.page ?? 1;
  if (page * query.per_page > EXACT_TOTAL_LIMIT) {
    throw problems.invalidFields([
      {
        path: "query.page",
        message: `must be an integer from 1 to ${Math.floor(EXACT_TOTAL_LIMIT / query.per_page)}${DEEPER}`,
      },
    ]);
  }
  return { ...request, start: { direction: "start", offset: (page - 1) * query.per_page } };
}

const totalHeader = (description: string, example: number) => ({
  schema: { type: "integer" as const, minimum: 0 },
  description,
  example,
});

/** The response headers of a page: the total (exact, or estimated) and the RFC 8288 links. */
export const pageHeaders = {
  "X-Total-Count": totalHeader(
    `How many rows match, exactly. Sent while at most ${EXACT_TOTAL_LIMIT.toLocaleString("en")} do (counted with a query that stops there), or with \`count=exact\`.`,
    42,
  ),
  "X-Total-Count-Estimate": totalHeader(
    `Sent instead of \`X-Total-Count\` when more than ${EXACT_TOTAL_LIMIT.toLocaleString("en")} rows match: the database planner's estimate of how many (never below ${(EXACT_TOTAL_LIMIT + 1).toLocaleString("en")}).`,
    1_000_000,
  ),
  Link: {
    schema: { type: "string" as const },
    description:
      "RFC 8288 links to `first` (no cursor), `last` and, where rows lie that way, `next` and `prev`, keeping the request's other parameters; `next`, `prev` and `last` carry an opaque `cursor`.",
    example:
      '</users?per_page=20&cursor=WyJhZnRlciIsIjIwMjYtMTEtMjcgMTA6MjI6MTMuMTc1KzAwIiwiMDE5MzZkNGItN2Q2Ni03MDAwLThmNjUtNjE0YzY0YzZlN2Q0Il0.q0rvOEpVB4yaT1V2GZhlOx8vcJr4aTzwfm4Q2J0tVwU>; rel="next", </users?per_page=20>; rel="first", </users?per_page=20&cursor=WyJlbmQiXQ.pU0IJZyq6VjGJYGzYdUkvBtdnA3J4EOVJmrO1GK-Q2U>; rel="last"',
  },
};

/**
 * The header values of the page answering `url`: its total and its links, each link's cursor made
 * for `binding`.
 */
export async function pageHeaderValues(
  url: string,
  secret: string,
  binding: ListBinding,
  page: Page<unknown>,
): Promise<Record<string, string>> {
  // The request's URL parsed once; each link changes a copy of its query.
  const { pathname, searchParams } = new URL(url);
  const link = async (rel: string, position?: CursorPosition) => {
    const query = new URLSearchParams(searchParams);
    query.delete("page");
    query.delete("cursor");
    query.set("per_page", String(page.perPage));
    if (position) query.set("cursor", await encodeCursor(secret, binding, position));
    return `<${pathname}?${query}>; rel="${rel}"`;
  };
  const links = await Promise.all([
    ...(page.next ? [link("next", page.next)] : []),
    ...(page.prev ? [link("prev", page.prev)] : []),
    link("first"),
    link("last", { direction: "end" }),
  ]);
  const total: Record<string, string> =
    "exact" in page.total
      ? { "X-Total-Count": String(page.total.exact) }
      : { "X-Total-Count-Estimate": String(page.total.estimate) };
  return { ...total, Link: links.join(", ") };
}
