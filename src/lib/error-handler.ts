import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { isDatabaseUnavailable, pgErrorOf, quotesQuery } from "../db/errors";
import { ConfigError } from "../env";
import { ApiError, problems, STATUS_TITLES } from "./problems";

/** For responses that carry tokens or personal data: no cache may keep them. */
export const NO_STORE = { "Cache-Control": "no-store" } as const;

/** Whatever was thrown, as the problem the client gets. */
function toApiError(error: unknown, c: Context): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ConfigError) return problems.configuration(error.problems);
  if (error instanceof HTTPException) {
    // Hono's validators throw these for a body that is not JSON at all.
    if (error.status === 400) return problems.malformedJson();
    if (error.status === 415) return problems.unsupportedMediaType(c.req.method);
  }
  if (isDatabaseUnavailable(error)) return problems.databaseUnavailable();
  return problems.internal();
}

function problemResponse(c: Context, error: ApiError): Response {
  c.set("problemCode", error.code);
  const body = {
    type: "about:blank",
    title: STATUS_TITLES[error.status] ?? "Error",
    status: error.status,
    detail: error.message,
    code: error.code,
    instance: c.req.path,
    ...(error.errors ? { errors: error.errors } : {}),
    request_id: c.get("requestId") as string | undefined,
  };
  const headers: Record<string, string> = {
    "Content-Type": "application/problem+json",
    ...NO_STORE,
    ...error.headers,
  };
  return c.body(JSON.stringify(body), error.status, headers);
}

/** The app's onError: renders the problem, and logs a server-side failure without secrets. */
export function handleError(error: unknown, c: Context): Response {
  const apiError = toApiError(error, c);
  if (apiError.status >= 500) {
    // Database errors are logged by name and Postgres code only: their messages quote the query's
    // parameters (password hashes, token hashes, email addresses).
    const pg = pgErrorOf(error);
    console.error(
      JSON.stringify({
        level: "error",
        request_id: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        code: apiError.code,
        error: error instanceof Error ? error.name : typeof error,
        message: error instanceof Error && !quotesQuery(error) ? error.message : undefined,
        pg_code: pg?.code,
        constraint: pg?.constraint,
      }),
    );
  }
  return problemResponse(c, apiError);
}
