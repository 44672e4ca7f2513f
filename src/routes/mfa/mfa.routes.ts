import { createRoute } from "@hono/zod-openapi";
import {
  AUTH_PROBLEMS,
  BODY_PROBLEMS,
  jsonContent,
  NO_STORE_HEADER,
  problemResponses,
  SERVER_PROBLEMS,
} from "../../lib/openapi";
import { UserIdParamSchema } from "../../schemas/user";
import { adminOnly, authed, open } from "../presets";
import {
  MfaVerifiedSchema,
  MfaVerifySchema,
  TotpDisabledSchema,
  TotpDisableSchema,
  TotpEnabledSchema,
  TotpEnableSchema,
  TotpSetupRequestSchema,
  TotpSetupSchema,
} from "./mfa.schemas";

const codes =
  "A code is accepted once, within one 30-second step of drift either side. Every code is counted per account before it is checked, and a right one is given back: at most 10 wrong codes in 15 minutes, however many requests arrive at once; past that, 429 with Retry-After.";

export const setupTotp = createRoute({
  operationId: "setupTotp",
  method: "post",
  path: "/auth/mfa/totp/setup",
  tags: ["Two-factor"],
  summary: "Start TOTP enrolment: a new secret and its otpauth:// URL",
  description:
    "Needs `current_password`, so an access token alone cannot enrol another authenticator (wrong ones: 400 `invalid_current_password`, counted per user before they are checked, 5 in 15 minutes, then 429). Creates a TOTP secret (base32, SHA-1, 6 digits, 30 s), stored encrypted (AES-GCM) and pending until POST /auth/mfa/totp/enable confirms it with a first code. A new setup replaces a pending one. 503 `mfa_unavailable` when the server has no MFA_ENCRYPTION_KEY.",
  ...authed,
  request: { body: { required: true, content: jsonContent(TotpSetupRequestSchema) } },
  responses: {
    200: {
      description: "The pending secret",
      headers: NO_STORE_HEADER,
      content: jsonContent(TotpSetupSchema),
    },
    ...problemResponses(
      BODY_PROBLEMS,
      AUTH_PROBLEMS,
      "invalid_current_password",
      "mfa_already_enabled",
      "rate_limited",
      "mfa_unavailable",
      SERVER_PROBLEMS,
    ),
  },
});

export const enableTotp = createRoute({
  operationId: "enableTotp",
  method: "post",
  path: "/auth/mfa/totp/enable",
  tags: ["Two-factor"],
  summary: "Turn two-factor login on with a first code",
  description: `Confirms the pending secret with a code from the authenticator app and answers ten recovery codes, shown only this once (stored hashed, each works once). Recorded as \`mfa.enabled\`. From the next login on, the password alone gives an mfa_token, not a session. The user's other sessions end (recorded as \`session.ended\`): they were opened with one factor; the caller's own goes on. ${codes}`,
  ...authed,
  request: { body: { required: true, content: jsonContent(TotpEnableSchema) } },
  responses: {
    200: {
      description: "Enabled",
      headers: NO_STORE_HEADER,
      content: jsonContent(TotpEnabledSchema),
    },
    ...problemResponses(
      BODY_PROBLEMS,
      AUTH_PROBLEMS,
      "invalid_mfa_code",
      "mfa_already_enabled",
      "mfa_setup_required",
      "conflict",
      "rate_limited",
      "mfa_unavailable",
      SERVER_PROBLEMS,
    ),
  },
});

export const disableTotp = createRoute({
  operationId: "disableTotp",
  method: "post",
  path: "/auth/mfa/totp/disable",
  tags: ["Two-factor"],
  summary: "Turn two-factor login off (password and a second factor)",
  description: `Needs \`current_password\` and either a \`code\` or a \`recovery_code\`. Deletes the secret and the recovery codes; recorded as \`mfa.disabled\`. Sessions go on. ${codes}`,
  ...authed,
  request: { body: { required: true, content: jsonContent(TotpDisableSchema) } },
  responses: {
    200: {
      description: "Disabled",
      headers: NO_STORE_HEADER,
      content: jsonContent(TotpDisabledSchema),
    },
    ...problemResponses(
      BODY_PROBLEMS,
      AUTH_PROBLEMS,
      "invalid_current_password",
      "invalid_mfa_code",
      "mfa_not_enabled",
      "rate_limited",
      "mfa_unavailable",
      SERVER_PROBLEMS,
    ),
  },
});

export const verifyMfa = createRoute({
  operationId: "verifyMfa",
  method: "post",
  path: "/auth/mfa/verify",
  tags: ["Two-factor"],
  summary: "Second login step: trade the mfa_token and a code for a session",
  description: `Completes a login that answered \`mfa_required\`: with a \`code\` or a \`recovery_code\` (which is then spent, recorded as \`mfa.recovery_code_used\`, and \`recovery_codes_left\` tells how many remain). The answer is the one of a normal login (a new session, \`login.succeeded\`). An mfa_token lives 5 minutes, dies after 5 codes that were not accepted (401 \`invalid_mfa_token\` from then on, however many arrive at once) and completes one login only: it is spent in the statement that accepts its factor, so of several right factors sent at once on one token one opens a session and the others are 401 \`invalid_mfa_token\` (their recovery codes stay unused). ${codes} Rate limited per client IP and per account (MFA_LIMITER).`,
  ...open,
  request: { body: { required: true, content: jsonContent(MfaVerifySchema) } },
  responses: {
    200: {
      description: "Logged in; a new session",
      headers: NO_STORE_HEADER,
      content: jsonContent(MfaVerifiedSchema),
    },
    ...problemResponses(
      BODY_PROBLEMS,
      "invalid_mfa_code",
      "invalid_mfa_token",
      "rate_limited",
      "mfa_unavailable",
      SERVER_PROBLEMS,
    ),
  },
});

export const resetUserMfa = createRoute({
  operationId: "resetUserMfa",
  method: "delete",
  path: "/users/{id}/mfa",
  tags: ["Two-factor"],
  summary: "Reset a user's two-factor login (admin)",
  description:
    "For a user who lost both the authenticator and the recovery codes: MFA is off, secret and recovery codes deleted; recorded as `mfa.disabled` with the admin as actor. Sessions go on. 409 `mfa_not_enabled` when it is off already. Not for the admin's own MFA: 403 `self_service_required` (use POST /auth/mfa/totp/disable, with password and a second factor, so a stolen admin token cannot strip its owner's second factor).",
  ...adminOnly,
  request: { params: UserIdParamSchema },
  responses: {
    204: { description: "Reset" },
    ...problemResponses(
      AUTH_PROBLEMS,
      "forbidden",
      "self_service_required",
      "not_found",
      "mfa_not_enabled",
      "validation_failed",
      SERVER_PROBLEMS,
    ),
  },
});
