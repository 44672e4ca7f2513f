// The page of every paginated list (GET /users, the event logs), and its Link header.
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";

/** `page` and `per_page`, to spread into a list's query schema. */
export const pageQuery = {
  page: z.coerce
    .number("must be an integer")
    .int("must be an integer")
    .min(1)
    .max(1_000_000)
    .default(1)
    .openapi({ param: { name: "page", in: "query" }, example: 1 }),
  per_page: z.coerce
    .number("must be an integer")
    .int("must be an integer")
    .min(1)
    .max(100)
    .default(20)
    .openapi({ param: { name: "per_page", in: "query" }, example: 20 }),
};

/** The response headers of a page: the total and the RFC 8288 links. */
export const pageHeaders = {
  "X-Total-Count": { schema: { type: "integer" as const } },
  Link: { schema: { type: "string" as const } },
};

function pageLinks(c: Context, page: number, perPage: number, total: number): string {
  const last = Math.max(1, Math.ceil(total / perPage));
  const link = (target: number, rel: string) => {
    const url = new URL(c.req.url);
    url.searchParams.set("page", String(target));
    url.searchParams.set("per_page", String(perPage));
    return `<${url.pathname}${url.search}>; rel="${rel}"`;
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
