// The page of every paginated list (GET /users, the event logs), and its Link header.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";

/**
 * A query integer in decimal digits only (no `1e2`, `0x10` or spaces, which Number() would take),
 * from `min` to `max`; every way to miss says the allowed range.
 */
const queryInteger = (name: string, min: number, max: number, fallback: number) => {
  const message = `must be an integer from ${min} to ${max}`;
  return z
    .string()
    .regex(/^[0-9]{1,10}$/, message)
    .transform(Number)
    .pipe(z.number().min(min, message).max(max, message))
    .default(fallback)
    .openapi({
      param: { name, in: "query" },
      type: "integer",
      minimum: min,
      maximum: max,
      default: fallback,
      example: fallback,
    });
};

/** `page` and `per_page`, to spread into a list's query schema. */
export const pageQuery = {
  page: queryInteger("page", 1, 1_000_000, 1),
  per_page: queryInteger("per_page", 1, 100, 20),
};

/** The response headers of a page: the total and the RFC 8288 links. */
export const pageHeaders = {
  "X-Total-Count": { schema: { type: "integer" as const } },
  Link: { schema: { type: "string" as const } },
};

function pageLinks(c: Context, page: number, perPage: number, total: number): string {
  const last = Math.max(1, Math.ceil(total / perPage));
  // The request's URL parsed once; each link changes a copy of its query.
  const { pathname, searchParams } = new URL(c.req.url);
  const link = (target: number, rel: string) => {
    const query = new URLSearchParams(searchParams);
    query.set("page", String(target));
    query.set("per_page", String(perPage));
    return `<${pathname}?${query}>; rel="${rel}"`;
  };
  return [
    link(1, "first"),
    ...(page > 1 ? [link(Math.min(page - 1, last), "prev")] : []),
    ...(page < last ? [link(page + 1, "next")] : []),
    link(last, "last"),
  ].join(", ");
}

/** The header values of a page of `total` matches. */
export function pageHeaderValues(
  c: Context,
  query: { page: number; per_page: number },
  total: number,
) {
  return {
    "X-Total-Count": String(total),
    Link: pageLinks(c, query.page, query.per_page, total),
  };
}
