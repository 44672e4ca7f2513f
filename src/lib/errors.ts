import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ConfigError } from "../env";
import { unsupportedMediaType } from "../middleware/request-guards";
import { ApiError, problemResponse } from "./problem";

/** Postgres error fields that drizzle keeps on `cause` when a query fails in the database. */
export function pgErrorOf(error: unknown): { code?: string; constraint?: string } | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e.name === "NeonDbError") return e as { code?: string; constraint?: string };
  }
  return undefined;
}

/** A driver error without a Postgres code never reached the database: it is down or unreachable. */
function isDatabaseUnavailable(error: unknown): boolean {
  const pg = pgErrorOf(error);
  return pg !== undefined && !pg.code;
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ConfigError) {
    return new ApiError(
      500,
      "configuration_error",
      `The server is misconfigured: ${error.problems.join("; ")}.`,
    );
  }
  if (error instanceof HTTPException) {
    // Hono's validators throw these for a body that is not JSON at all.
    if (error.status === 400) {
      return new ApiError(400, "malformed_json", "The request body is not valid JSON.");
    }
    if (error.status === 415) return unsupportedMediaType();
    return new ApiError(error.status as ApiError["status"], "http_error", error.message);
  }
  if (isDatabaseUnavailable(error)) {
    return new ApiError(503, "database_unavailable", "The database is unavailable; try again.", {
      headers: { "Retry-After": "5" },
    });
  }
  return new ApiError(500, "internal_error", "An unexpected error occurred.");
}

export function handleError(error: unknown, c: Context): Response {
  const apiError = toApiError(error);
  if (apiError.status >= 500) {
    // Database errors are logged by name and Postgres code only: their messages quote the query's
    // parameters (password hashes, token hashes, email addresses).
    const pg = pgErrorOf(error);
    const quotesQuery =
      pg !== undefined || (error instanceof Error && error.name === "DrizzleQueryError");
    console.error(
      JSON.stringify({
        level: "error",
        request_id: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        code: apiError.code,
        error: error instanceof Error ? error.name : typeof error,
        message: error instanceof Error && !quotesQuery ? error.message : undefined,
        pg_code: pg?.code,
        constraint: pg?.constraint,
      }),
    );
  }
  return problemResponse(c, apiError);
}
