import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";

/** For responses that carry tokens or personal data: no cache may keep them. */
export const NO_STORE = { "Cache-Control": "no-store" } as const;

export type FieldError = { path: string; message: string };

const titles: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * An error that becomes an RFC 9457 problem response. Services and handlers throw it; the app's
 * error handler renders it, so every error anywhere has one shape.
 */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    detail: string,
    extra: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.errors = extra.errors;
    this.headers = extra.headers;
  }
}

export function validationError(error: ZodError, location?: "query" | "path" | "header"): ApiError {
  const errors = error.issues.flatMap((issue): FieldError[] => {
    const path = [location, ...issue.path.map(String)].filter(Boolean).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: [path, key].filter(Boolean).join("."),
        message: "is not an accepted field",
      }));
    }
    return [{ path: path || "(body)", message: issue.message }];
  });
  return new ApiError(422, "validation_failed", "The request did not pass validation.", {
    errors,
  });
}

export function problemResponse(c: Context, error: ApiError): Response {
  const body = {
    type: "about:blank",
    title: titles[error.status] ?? "Error",
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
