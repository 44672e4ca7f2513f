import { createRoute, z } from "@hono/zod-openapi";
import {
  AUTH_PROBLEMS,
  BODY_PROBLEMS,
  jsonContent,
  MessageSchema,
  NO_STORE_HEADER,
  problemResponses,
  SERVER_PROBLEMS,
} from "../../lib/openapi";
import { ALICE, BOB, LOCAL_ADMIN_KEY } from "../../schemas/examples";
import { MfaRequiredSchema } from "../mfa/mfa.schemas";
import { authed, bearer, open } from "../presets";
import {
  ChangePasswordSchema,
  EmailVerifiedSchema,
  ForgotPasswordAcceptedSchema,
  ForgotPasswordSchema,
  LoginResultSchema,
  LoginSchema,
  LogoutQuerySchema,
  LogoutSchema,
  PasswordChangedSchema,
  RefreshSchema,
  RegisteredSchema,
  RegisterSchema,
  ResetPasswordSchema,
  TokensSchema,
  VerificationSentSchema,
  VerifyEmailSchema,
} from "./auth.schemas";

const rateLimited =
  "Rate limited per client IP and per account (wrangler.toml); needs the Workers Paid plan for bcrypt's CPU time.";

export const register = createRoute({
  method: "post",
  path: "/auth/register",
  operationId: "register",
  tags: ["Auth"],
  ...open,
  summary: "Register a user",
  description: `Creates a USER, or an ADMIN when \`secret_admin_key\` equals the configured key. ${rateLimited}`,
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: RegisterSchema,
          // Swagger UI offers these in a list, the first prefilled: the README's alice and bob.
          examples: {
            admin: {
              summary: "alice, an ADMIN (with the local SECRET_ADMIN_KEY of npm run dev)",
              value: { ...ALICE, secret_admin_key: LOCAL_ADMIN_KEY },
            },
            user: { summary: "bob, a USER (no secret_admin_key)", value: BOB },
          },
        },
      },
    },
  },
  responses: {
    201: {
      description: "Registered",
      headers: {
        Location: {
          schema: { type: "string", example: "/users/0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70" },
        },
        ...NO_STORE_HEADER,
      },
      content: jsonContent(RegisteredSchema),
    },
    ...problemResponses(
      BODY_PROBLEMS,
      "invalid_admin_key",
      "conflict",
      "password_too_long",
      "weak_password",
      "rate_limited",
      SERVER_PROBLEMS,
    ),
  },
});

export const login = createRoute({
  method: "post",
  path: "/auth/login",
  operationId: "login",
  tags: ["Auth"],
  ...open,
  summary: "Log in with email and password",
  description: `Unknown email, wrong password and inactive account give the same 401 in about the same time. For an account with two-factor login the right password answers \`mfa_required\` and an \`mfa_token\` (no access or refresh token): POST /auth/mfa/verify completes the login. Every attempt is counted against the email before bcrypt runs, and a right one is given back: 10 that were not right in 15 minutes, however many arrive at once, then 429 with Retry-After. ${rateLimited}`,
  request: { body: { required: true, content: jsonContent(LoginSchema) } },
  responses: {
    200: {
      description:
        "Logged in (a new session), or the password was right and a second factor is due",
      headers: NO_STORE_HEADER,
      content: jsonContent(z.union([LoginResultSchema, MfaRequiredSchema])),
    },
    ...problemResponses(
      BODY_PROBLEMS,
      "invalid_credentials",
      "email_not_verified",
      "rate_limited",
      "mfa_unavailable",
      SERVER_PROBLEMS,
    ),
  },
});

export const refresh = createRoute({
  method: "post",
  path: "/auth/refresh",
  operationId: "refresh",
  tags: ["Auth"],
  ...open,
  summary: "Trade a refresh token for new tokens",
  description:
    "Spends the refresh token and returns a new access and refresh token in the same session. The new refresh token lives REFRESH_TOKEN_TTL seconds, but never past the session's login plus SESSION_MAX_AGE (90 days by default): after that, 401 `invalid_refresh_token` and the user logs in again. Presenting a spent token again (more than 10 seconds after it was spent) ends the whole session on every device that holds it.",
  request: { body: { required: true, content: jsonContent(RefreshSchema) } },
  responses: {
    200: {
      description: "New tokens",
      headers: NO_STORE_HEADER,
      content: jsonContent(TokensSchema),
    },
    ...problemResponses(BODY_PROBLEMS, "invalid_refresh_token", SERVER_PROBLEMS),
  },
});

export const logout = createRoute({
  method: "post",
  path: "/auth/logout",
  operationId: "logout",
  tags: ["Auth"],
  summary: "End this session, or every session",
  description:
    "`scope=local` (the default) ends the session of the access token used, and also the session of `refresh_token` when that token is yours; `scope=global` ends every session and access token of the user. The body is optional.",
  ...bearer,
  request: {
    query: LogoutQuerySchema,
    body: { required: false, content: jsonContent(LogoutSchema) },
  },
  responses: {
    204: { description: "Logged out" },
    ...problemResponses(BODY_PROBLEMS, AUTH_PROBLEMS, SERVER_PROBLEMS),
  },
});

export const forgotPassword = createRoute({
  method: "post",
  path: "/auth/forgot-password",
  operationId: "forgotPassword",
  tags: ["Auth"],
  ...open,
  summary: "Email a password reset link",
  description: `Always 202 with the same body, whether or not the account exists. For an active account a single-use reset token (valid RESET_TOKEN_TTL seconds, replacing any older one) is emailed as \`PASSWORD_RESET_URL?token=...\`. ${rateLimited}`,
  request: { body: { required: true, content: jsonContent(ForgotPasswordSchema) } },
  responses: {
    202: { description: "Accepted", content: jsonContent(ForgotPasswordAcceptedSchema) },
    ...problemResponses(BODY_PROBLEMS, "rate_limited", SERVER_PROBLEMS),
  },
});

export const resetPassword = createRoute({
  method: "post",
  path: "/auth/reset-password",
  operationId: "resetPassword",
  tags: ["Auth"],
  ...open,
  summary: "Set a new password with a reset token",
  description: `Spends the token, sets the password and ends every session of the user. ${rateLimited}`,
  request: { body: { required: true, content: jsonContent(ResetPasswordSchema) } },
  responses: {
    200: { description: "Password reset", content: jsonContent(MessageSchema) },
    ...problemResponses(
      BODY_PROBLEMS,
      "invalid_or_expired_token",
      "email_mismatch",
      "password_too_long",
      "weak_password",
      "rate_limited",
      SERVER_PROBLEMS,
    ),
  },
});

export const changePassword = createRoute({
  method: "post",
  path: "/auth/change-password",
  operationId: "changePassword",
  tags: ["Auth"],
  summary: "Change the password (needs the current one)",
  description:
    "Ends every other session and access token of the user; the tokens in the answer continue the caller's session. Every `current_password` is counted per user before bcrypt runs, and a right one is given back: 5 wrong in 15 minutes (shared with email changes and MFA setup and disable), however many arrive at once, then 429 with Retry-After.",
  ...authed,
  request: { body: { required: true, content: jsonContent(ChangePasswordSchema) } },
  responses: {
    200: {
      description: "Password changed",
      headers: NO_STORE_HEADER,
      content: jsonContent(PasswordChangedSchema),
    },
    ...problemResponses(
      BODY_PROBLEMS,
      AUTH_PROBLEMS,
      "invalid_current_password",
      "conflict",
      "password_too_long",
      "weak_password",
      "rate_limited",
      SERVER_PROBLEMS,
    ),
  },
});

export const verifyEmail = createRoute({
  method: "post",
  path: "/auth/verify-email",
  operationId: "verifyEmail",
  tags: ["Auth"],
  ...open,
  summary: "Verify an email address with the emailed token",
  description:
    "Spends the token of a verification email (`EMAIL_VERIFY_URL?token=...`, sent on registration, on every email change and on request) and marks the address verified. A token is single use, lives VERIFY_TOKEN_TTL seconds, is replaced by a newer one and works only while the user still has the address it was sent to. Rate limited per client IP.",
  request: { body: { required: true, content: jsonContent(VerifyEmailSchema) } },
  responses: {
    200: {
      description: "Verified; the user with `email_verified: true`",
      headers: NO_STORE_HEADER,
      content: jsonContent(EmailVerifiedSchema),
    },
    ...problemResponses(BODY_PROBLEMS, "invalid_or_expired_token", "rate_limited", SERVER_PROBLEMS),
  },
});

export const resendVerification = createRoute({
  method: "post",
  path: "/auth/resend-verification",
  operationId: "resendVerification",
  tags: ["Auth"],
  summary: "Email a new verification link",
  description:
    "Sends a new verification email to the caller's current address; the new token replaces any older one. Rate limited per client IP and per user.",
  ...authed,
  responses: {
    202: { description: "Accepted", content: jsonContent(VerificationSentSchema) },
    ...problemResponses(AUTH_PROBLEMS, "already_verified", "rate_limited", SERVER_PROBLEMS),
  },
});
