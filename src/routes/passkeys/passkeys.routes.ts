import { createRoute, z } from "@hono/zod-openapi";
import {
  AUTH_PROBLEMS,
  BODY_PROBLEMS,
  jsonContent,
  NO_STORE_HEADER,
  problemResponses,
  SERVER_PROBLEMS,
} from "../../lib/openapi";
import { UserIdParamSchema } from "../../schemas/user";
import { LoginResultSchema } from "../auth/auth.schemas";
import { adminBearer, authed, bearer, open } from "../presets";
import {
  LoginOptionsRequestSchema,
  LoginStartedSchema,
  LoginVerifyRequestSchema,
  PasskeyIdParamSchema,
  PasskeySchema,
  RegisterOptionsRequestSchema,
  RegisterVerifyRequestSchema,
  RegistrationStartedSchema,
  RenamePasskeySchema,
  UserPasskeyParamSchema,
} from "./passkeys.schemas";

const TAGS = ["Passkeys"];

const ceremony =
  "The challenge lives 5 minutes and is used once; the origin must be one of WEBAUTHN_ORIGINS and the relying party WEBAUTHN_RP_ID.";

const limited =
  "Rate limited per client IP and per account (PASSKEY_LIMITER, 20 requests a minute: 10 logins).";

const passkeyList = {
  description: "The passkeys, newest first (an account holds at most 25)",
  headers: NO_STORE_HEADER,
  content: jsonContent(z.array(PasskeySchema)),
};

export const registerOptions = createRoute({
  method: "post",
  path: "/auth/passkeys/register/options",
  operationId: "passkeyRegisterOptions",
  tags: TAGS,
  summary: "Start adding a passkey: creation options for the browser",
  description: `Needs \`current_password\` unless this session's login (password, two-factor or passkey) was at most 5 minutes ago (422 naming \`current_password\` otherwise), so a stolen access token alone cannot add the thief's passkey. Wrong passwords: 400 \`invalid_current_password\`, counted per user before they are checked (5 in 15 minutes, then 429). \`excludeCredentials\` lists the account's passkeys; user verification is required, a discoverable credential preferred, no attestation asked. An account holds at most 25 passkeys (409 \`too_many_passkeys\`). ${ceremony}`,
  ...authed,
  request: { body: { required: false, content: jsonContent(RegisterOptionsRequestSchema) } },
  responses: {
    200: {
      description: "Options for navigator.credentials.create(), and the challenge's id",
      headers: NO_STORE_HEADER,
      content: jsonContent(RegistrationStartedSchema),
    },
    ...problemResponses(
      BODY_PROBLEMS,
      AUTH_PROBLEMS,
      "invalid_current_password",
      "too_many_passkeys",
      "rate_limited",
      SERVER_PROBLEMS,
    ),
  },
});

export const registerVerify = createRoute({
  method: "post",
  path: "/auth/passkeys/register/verify",
  operationId: "passkeyRegisterVerify",
  tags: TAGS,
  summary: "Finish adding a passkey: verify and store the new credential",
  description: `\`response\` is the RegistrationResponseJSON of the browser. Verified against the caller's own registration challenge (spent by this request, whatever its outcome), with user verification, and stored with its public key, counter, transports and backup state; recorded as \`passkey.added\`. A response that does not verify, an unknown, expired, used or another user's challenge, or a credential that is registered already: 400 \`invalid_passkey_response\`. Only the attestation format \`none\` is accepted (the options ask for no attestation, and browsers then send none). ${ceremony}`,
  ...authed,
  request: { body: { required: true, content: jsonContent(RegisterVerifyRequestSchema) } },
  responses: {
    201: {
      description: "Added",
      headers: NO_STORE_HEADER,
      content: jsonContent(PasskeySchema),
    },
    ...problemResponses(
      BODY_PROBLEMS,
      AUTH_PROBLEMS,
      "invalid_passkey_response",
      "too_many_passkeys",
      SERVER_PROBLEMS,
    ),
  },
});

export const loginOptions = createRoute({
  method: "post",
  path: "/auth/passkeys/login/options",
  operationId: "passkeyLoginOptions",
  tags: TAGS,
  summary: "Start a passkey login: request options for the browser",
  description: `\`{}\`: a usernameless login (the authenticator offers the passkeys it holds for this site). \`{ "email" }\`: \`allowCredentials\` lists that account's passkeys; an email without an account (or without passkeys) gets options of the same shape, with a credential id that is the same on every request for that email, so the answer tells nothing about the account. ${ceremony} ${limited}`,
  ...open,
  request: { body: { required: false, content: jsonContent(LoginOptionsRequestSchema) } },
  responses: {
    200: {
      description: "Options for navigator.credentials.get(), and the challenge's id",
      headers: NO_STORE_HEADER,
      content: jsonContent(LoginStartedSchema),
    },
    ...problemResponses(BODY_PROBLEMS, "rate_limited", SERVER_PROBLEMS),
  },
});

export const loginVerify = createRoute({
  method: "post",
  path: "/auth/passkeys/login/verify",
  operationId: "passkeyLoginVerify",
  tags: TAGS,
  summary: "Finish a passkey login: the normal login response",
  description: `\`response\` is the AuthenticationResponseJSON of the browser. The answer is that of POST /auth/login: a new session, recorded as \`login.succeeded\` with \`method: passkey\`. A passkey verified with user verification counts as two factors, so no \`mfa_required\` step follows, even with TOTP on. An unknown credential, a bad signature, a missing user-verification flag, a wrong origin or RP ID, an unknown, expired or used challenge, an inactive account, or a signature counter that did not move forward (a cloned authenticator; recorded as \`passkey.counter_regressed\`): the same 401 \`invalid_credentials\`. With REQUIRE_VERIFIED_EMAIL, an unverified address is 403 \`email_not_verified\` once the passkey verified. ${ceremony} ${limited}`,
  ...open,
  request: { body: { required: true, content: jsonContent(LoginVerifyRequestSchema) } },
  responses: {
    200: {
      description: "Logged in (a new session)",
      headers: NO_STORE_HEADER,
      content: jsonContent(LoginResultSchema),
    },
    ...problemResponses(
      BODY_PROBLEMS,
      "invalid_credentials",
      "email_not_verified",
      "rate_limited",
      SERVER_PROBLEMS,
    ),
  },
});

export const listMyPasskeys = createRoute({
  method: "get",
  path: "/auth/passkeys",
  operationId: "listMyPasskeys",
  tags: TAGS,
  summary: "The caller's passkeys",
  description:
    "Newest first, with when each was added and last used, its backup state and transports. Never the public key or the credential id.",
  ...bearer,
  responses: {
    200: passkeyList,
    ...problemResponses(AUTH_PROBLEMS, SERVER_PROBLEMS),
  },
});

export const renameMyPasskey = createRoute({
  method: "patch",
  path: "/auth/passkeys/{id}",
  operationId: "renameMyPasskey",
  tags: TAGS,
  summary: "Rename one of the caller's passkeys",
  description: "Someone else's passkey, or an unknown one, is 404.",
  ...bearer,
  request: {
    params: PasskeyIdParamSchema,
    body: { required: true, content: jsonContent(RenamePasskeySchema) },
  },
  responses: {
    200: { description: "Renamed", headers: NO_STORE_HEADER, content: jsonContent(PasskeySchema) },
    ...problemResponses(BODY_PROBLEMS, AUTH_PROBLEMS, "not_found", SERVER_PROBLEMS),
  },
});

export const removeMyPasskey = createRoute({
  method: "delete",
  path: "/auth/passkeys/{id}",
  operationId: "removeMyPasskey",
  tags: TAGS,
  summary: "Remove one of the caller's passkeys",
  description:
    "It can no longer log in; sessions it opened go on (end them with DELETE /auth/sessions/{id}). Recorded as `passkey.removed`. Someone else's passkey, or an unknown one, is 404.",
  ...bearer,
  request: { params: PasskeyIdParamSchema },
  responses: {
    204: { description: "Removed" },
    ...problemResponses(AUTH_PROBLEMS, "not_found", "validation_failed", SERVER_PROBLEMS),
  },
});

export const listUserPasskeys = createRoute({
  method: "get",
  path: "/users/{id}/passkeys",
  operationId: "listUserPasskeys",
  tags: TAGS,
  summary: "A user's passkeys (admin)",
  description: "As GET /auth/passkeys shows them, for any user; an unknown user is 404.",
  ...adminBearer,
  request: { params: UserIdParamSchema },
  responses: {
    200: passkeyList,
    ...problemResponses(
      AUTH_PROBLEMS,
      "forbidden",
      "not_found",
      "validation_failed",
      SERVER_PROBLEMS,
    ),
  },
});

export const removeUserPasskey = createRoute({
  method: "delete",
  path: "/users/{id}/passkeys/{passkey_id}",
  operationId: "removeUserPasskey",
  tags: TAGS,
  summary: "Remove a user's passkey (admin)",
  description:
    "For a lost or stolen authenticator. Recorded as `passkey.removed` with the admin as actor. A passkey of another user, or an unknown one, is 404.",
  ...adminBearer,
  request: { params: UserPasskeyParamSchema },
  responses: {
    204: { description: "Removed" },
    ...problemResponses(
      AUTH_PROBLEMS,
      "forbidden",
      "not_found",
      "validation_failed",
      SERVER_PROBLEMS,
    ),
  },
});
