import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";

/**
 * Every problem the API can answer, by its stable `code`: the status it carries and the detail a
 * client sees by default. The builders below, the OpenAPI error responses and their examples all
 * read this table, so the documentation cannot drift from what the server throws.
 */
export const PROBLEMS = {
  malformed_json: { status: 400, detail: "The request body is not valid JSON." },
  invalid_current_password: { status: 400, detail: "The current password is incorrect." },
  invalid_or_expired_token: {
    status: 400,
    // Shared by reset and verification tokens (the OpenAPI examples of both routes read it).
    detail: "The token is invalid, expired or already used.",
  },
  invalid_mfa_code: {
    status: 400,
    detail: "The two-factor code is incorrect, expired or already used.",
  },
  invalid_passkey_response: {
    status: 400,
    detail:
      "The passkey response did not verify, or its challenge is unknown, expired, used or not yours.",
  },
  email_mismatch: {
    status: 400,
    detail: "The email does not match the account this reset token was sent to.",
  },
  unauthorized: { status: 401, detail: "Authentication is required." },
  invalid_token: { status: 401, detail: "The access token is invalid or expired." },
  invalid_credentials: { status: 401, detail: "The email or password is incorrect." },
  invalid_refresh_token: { status: 401, detail: "The refresh token is invalid or expired." },
  invalid_mfa_token: {
    status: 401,
    detail: "The mfa_token is invalid, expired or used up; log in again.",
  },
  forbidden: { status: 403, detail: "This action needs the ADMIN role." },
  invalid_admin_key: { status: 403, detail: "The admin key is not valid." },
  self_service_required: {
    status: 403,
    detail:
      "Turn off your own two-factor login with POST /auth/mfa/totp/disable (your password and a second factor).",
  },
  email_not_verified: {
    status: 403,
    detail: "Verify your email address before logging in: follow the link we sent you.",
  },
  not_found: { status: 404, detail: "No user has that id." },
  method_not_allowed: { status: 405, detail: "This path does not take that method." },
  conflict: { status: 409, detail: "That email is already taken." },
  already_verified: { status: 409, detail: "The email address is verified already." },
  last_admin: {
    status: 409,
    detail: "The last active admin cannot be demoted, deactivated or deleted.",
  },
  mfa_already_enabled: { status: 409, detail: "Two-factor login is enabled already." },
  mfa_not_enabled: { status: 409, detail: "Two-factor login is not enabled." },
  mfa_setup_required: {
    status: 409,
    detail: "Start with POST /auth/mfa/totp/setup: there is no pending secret to confirm.",
  },
  too_many_passkeys: {
    status: 409,
    detail: "The account has as many passkeys as it may have; remove one first.",
  },
  precondition_failed: { status: 412, detail: "If-Match does not match the current ETag." },
  payload_too_large: { status: 413, detail: "The request body is larger than 64 KiB." },
  unsupported_media_type: {
    status: 415,
    detail: "Send the request body as application/json (no other type, +json ones included).",
  },
  validation_failed: { status: 422, detail: "The request did not pass validation." },
  password_too_long: { status: 422, detail: "The password is longer than 72 bytes." },
  weak_password: { status: 422, detail: "The password is too common or too easy to guess." },
  rate_limited: { status: 429, detail: "Too many requests; try again later." },
  internal_error: { status: 500, detail: "An unexpected error occurred." },
  configuration_error: { status: 500, detail: "The server is misconfigured." },
  database_unavailable: { status: 503, detail: "The database is unavailable; try again." },
  mfa_unavailable: {
    status: 503,
    detail: "Two-factor login is not available: the server has no MFA_ENCRYPTION_KEY.",
  },
} as const satisfies Record<string, { status: ContentfulStatusCode; detail: string }>;

/** The `title` of a problem: the status's reason phrase. */
export const STATUS_TITLES: Record<number, string> = {
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

export type ProblemCode = keyof typeof PROBLEMS;

export type FieldError = { path: string; message: string };

type Extra = { errors?: FieldError[]; headers?: Record<string, string> };

/**
 * An error that becomes an RFC 9457 problem response. Only the builders of this module make one;
 * the app's error handler renders it, so every error anywhere has one shape.
 */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;

  constructor(
    readonly code: ProblemCode,
    detail: string = PROBLEMS[code].detail,
    extra: Extra = {},
  ) {
    super(detail);
    this.name = "ApiError";
    this.status = PROBLEMS[code].status;
    this.errors = extra.errors;
    this.headers = extra.headers;
  }
}

const REALM = "user-management-api";

/** The RFC 6750 challenge of every 401: bare when no credentials came, else with the error. */
function bearerChallenge(error?: { error: string; description?: string }): string {
  if (!error) return `Bearer realm="${REALM}"`;
  const description = error.description ? `, error_description="${error.description}"` : "";
  return `Bearer realm="${REALM}", error="${error.error}"${description}`;
}

/** Seconds a client should wait before retrying while the database is unavailable. */
const DATABASE_RETRY_AFTER = "5";

const fieldErrors = (path: string, message: string): Extra => ({
  errors: [{ path, message }],
});

/** Fields a request may send to the wrong place, with the route that takes them. */
const BETTER_ROUTES: Record<string, string> = {
  password:
    "is not accepted here: use POST /auth/change-password for your own (or a reset link, POST /auth/forgot-password)",
  new_password: "is not accepted here: use POST /auth/change-password",
  email_verified:
    "is not accepted here: the link that POST /auth/resend-verification mails verifies an email",
  mfa_enabled:
    "is not accepted here: use POST /auth/mfa/totp/setup and /enable, or /disable (admins: DELETE /users/{id}/mfa)",
};

/** A zod failure as the field errors a problem lists, one per field (`location.path`). */
export function fieldErrorsOf(error: ZodError, location?: string): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const path = [location, ...issue.path.map(String)].filter(Boolean).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: [path, key].filter(Boolean).join("."),
        message: BETTER_ROUTES[key] ?? "is not an accepted field",
      }));
    }
    return [{ path: path || "(body)", message: issue.message }];
  });
}

/** The problems the API answers, each built in one place. */
export const problems = {
  malformedJson: () => new ApiError("malformed_json"),
  /** RFC 9110 and RFC 5789 name what would be accepted: Accept-Patch for PATCH. */
  unsupportedMediaType: (method: string) =>
    new ApiError("unsupported_media_type", undefined, {
      headers: { [method === "PATCH" ? "Accept-Patch" : "Accept-Post"]: "application/json" },
    }),
  payloadTooLarge: (limit = "64 KiB") =>
    new ApiError("payload_too_large", `The request body is larger than ${limit}.`),
  routeNotFound: (method: string, path: string) =>
    new ApiError("not_found", `No route matches ${method} ${path}.`),
  notFound: (what: "user" | "session" | "passkey") =>
    new ApiError("not_found", `No ${what} has that id.`),
  /** A path that exists, asked with a method it does not take: RFC 9110 wants `Allow`. */
  methodNotAllowed: (method: string, path: string, allowed: string[]) =>
    new ApiError(
      "method_not_allowed",
      `${path} does not take ${method}; it takes ${allowed.join(", ")}.`,
      { headers: { Allow: allowed.join(", ") } },
    ),

  validation: (error: ZodError, location?: "query" | "path" | "header"): ApiError =>
    new ApiError("validation_failed", undefined, { errors: fieldErrorsOf(error, location) }),
  /** Text that is not valid Unicode: refused rather than stored as U+FFFD. */
  invalidUnicode: (path: string) =>
    new ApiError(
      "validation_failed",
      undefined,
      fieldErrors(path, "must be valid Unicode text (UTF-8, no lone surrogates)"),
    ),
  /** Fields that are well-formed yet not acceptable together (a rule beyond the schema). */
  invalidFields: (errors: FieldError[]) => new ApiError("validation_failed", undefined, { errors }),
  passwordTooLong: (field: string, maxBytes: number) =>
    new ApiError(
      "password_too_long",
      undefined,
      fieldErrors(field, `must be at most ${maxBytes} bytes of UTF-8`),
    ),
  /** A "new" password that is the current one would change nothing but end every session. */
  samePassword: () =>
    new ApiError(
      "validation_failed",
      undefined,
      fieldErrors("new_password", "must differ from the current password"),
    ),
  weakPassword: (field: string, personal: boolean) =>
    new ApiError(
      "weak_password",
      undefined,
      fieldErrors(
        field,
        personal
          ? "must not contain the username or email name"
          : "is one of the most common passwords",
      ),
    ),

  /** No credentials at all: the bare challenge. */
  unauthenticated: () =>
    new ApiError("unauthorized", undefined, { headers: { "WWW-Authenticate": bearerChallenge() } }),
  /** Credentials that are malformed, forged, expired or revoked. */
  invalidToken: (detail: string = PROBLEMS.invalid_token.detail) =>
    new ApiError("invalid_token", detail, {
      headers: {
        "WWW-Authenticate": bearerChallenge({ error: "invalid_token", description: detail }),
      },
    }),
  invalidCredentials: () =>
    new ApiError("invalid_credentials", undefined, {
      headers: { "WWW-Authenticate": bearerChallenge() },
    }),
  invalidRefreshToken: () =>
    new ApiError("invalid_refresh_token", undefined, {
      headers: { "WWW-Authenticate": bearerChallenge({ error: "invalid_token" }) },
    }),
  invalidResetToken: () =>
    new ApiError(
      "invalid_or_expired_token",
      "The reset token is invalid, expired or already used.",
    ),
  resetEmailMismatch: () =>
    new ApiError(
      "email_mismatch",
      undefined,
      fieldErrors("email", "is not the address this reset token was sent to"),
    ),
  invalidCurrentPassword: () =>
    new ApiError(
      "invalid_current_password",
      undefined,
      fieldErrors("current_password", "is incorrect"),
    ),
  invalidAdminKey: () => new ApiError("invalid_admin_key"),
  emailNotVerified: () => new ApiError("email_not_verified"),
  alreadyVerified: () => new ApiError("already_verified"),
  invalidVerificationToken: () =>
    new ApiError(
      "invalid_or_expired_token",
      "The verification token is invalid, expired, already used or for another address.",
    ),

  invalidMfaCode: (field: "code" | "recovery_code") =>
    new ApiError(
      "invalid_mfa_code",
      field === "code" ? undefined : "The recovery code is incorrect or already used.",
      fieldErrors(field, "is incorrect"),
    ),
  invalidMfaToken: () =>
    new ApiError("invalid_mfa_token", undefined, {
      headers: { "WWW-Authenticate": bearerChallenge({ error: "invalid_token" }) },
    }),
  invalidPasskeyResponse: () => new ApiError("invalid_passkey_response"),
  tooManyPasskeys: () => new ApiError("too_many_passkeys"),
  mfaAlreadyEnabled: () => new ApiError("mfa_already_enabled"),
  mfaNotEnabled: () => new ApiError("mfa_not_enabled"),
  mfaSetupRequired: () => new ApiError("mfa_setup_required"),
  mfaUnavailable: () => new ApiError("mfa_unavailable"),
  ownMfaReset: () => new ApiError("self_service_required"),

  adminOnly: () => new ApiError("forbidden"),
  forbidden: (detail: string, errors?: FieldError[]) =>
    new ApiError("forbidden", detail, { errors }),

  taken: (field: "username" | "email") =>
    new ApiError(
      "conflict",
      `That ${field} is already taken.`,
      fieldErrors(field, "is already taken"),
    ),
  changedMeanwhile: () => new ApiError("conflict", "The account changed meanwhile; try again."),
  lastAdmin: () => new ApiError("last_admin"),
  preconditionFailed: (detail: string = PROBLEMS.precondition_failed.detail) =>
    new ApiError("precondition_failed", detail),

  rateLimited: (retryAfterSeconds: number) =>
    new ApiError("rate_limited", undefined, {
      headers: { "Retry-After": String(retryAfterSeconds) },
    }),

  internal: () => new ApiError("internal_error"),
  configuration: (issues: string[]) =>
    new ApiError("configuration_error", `The server is misconfigured: ${issues.join("; ")}.`),
  databaseUnavailable: () =>
    new ApiError("database_unavailable", undefined, {
      headers: { "Retry-After": DATABASE_RETRY_AFTER },
    }),
};
