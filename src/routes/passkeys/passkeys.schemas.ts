// The passkey routes' bodies. The WebAuthn parts are the standard JSON forms of WebAuthn Level 3
// (what @simplewebauthn/browser, or the browser's own PublicKeyCredential.toJSON(), produce and
// parseCreationOptionsFromJSON / parseRequestOptionsFromJSON take); the rest is this API's.
import { z } from "@hono/zod-openapi";
import { ALICE } from "../../schemas/examples";
import { emailSchema, idParam, trimmedText, uuidParam } from "../../schemas/user";

/** base64url, as WebAuthn's JSON forms carry bytes (padding tolerated). */
const base64urlSchema = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, "must be base64url");

const CREDENTIAL_ID = "kV3b9qQ2Wl0f8yXn1TcRzA";
const CHALLENGE = "r8NAh0s2q5mF1xYwVt3KcL9pZbE6uJ4aGfD7oQxC0nI";

const challengeIdSchema = z.uuid().openapi({
  description: "The `challenge_id` of the options this response answers (one use, 5 minutes)",
  example: "0193a4b2-8d2f-7e4b-a021-3c4d5e6f7081",
});

const transportsSchema = z.array(z.string().max(32)).max(10);

const descriptorSchema = z.object({
  id: z.string().openapi({ example: CREDENTIAL_ID }),
  type: z.string().openapi({ example: "public-key" }),
  transports: transportsSchema.optional().openapi({ example: ["hybrid", "internal"] }),
});

/** PublicKeyCredentialCreationOptionsJSON, as POST /auth/passkeys/register/options answers it. */
const CreationOptionsSchema = z
  .looseObject({
    rp: z.object({ name: z.string(), id: z.string().optional() }),
    user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
    challenge: z.string(),
    pubKeyCredParams: z.array(z.object({ type: z.literal("public-key"), alg: z.number() })),
    timeout: z.number().optional(),
    excludeCredentials: z.array(descriptorSchema).optional(),
    authenticatorSelection: z.looseObject({}).optional(),
    attestation: z.string().optional(),
    extensions: z.looseObject({}).optional(),
  })
  .openapi("PasskeyCreationOptions", {
    description:
      "PublicKeyCredentialCreationOptionsJSON: pass it to `startRegistration({ optionsJSON })` of @simplewebauthn/browser, or to `PublicKeyCredential.parseCreationOptionsFromJSON()` and `navigator.credentials.create({ publicKey })`.",
    example: {
      rp: { name: "User Management API", id: "localhost" },
      user: {
        id: "MDE5M2E0YjItN2MxZS03ZDNhLTlmMTAtMmIzYzRkNWU2Zjcw",
        name: ALICE.email,
        displayName: `${ALICE.first_name} ${ALICE.last_name}`,
      },
      challenge: CHALLENGE,
      pubKeyCredParams: [
        { alg: -8, type: "public-key" },
        { alg: -7, type: "public-key" },
        { alg: -257, type: "public-key" },
      ],
      timeout: 300000,
      attestation: "none",
      excludeCredentials: [{ id: CREDENTIAL_ID, type: "public-key", transports: ["internal"] }],
      authenticatorSelection: {
        residentKey: "preferred",
        userVerification: "required",
        requireResidentKey: false,
      },
      extensions: { credProps: true },
    },
  });

/** PublicKeyCredentialRequestOptionsJSON, as POST /auth/passkeys/login/options answers it. */
const RequestOptionsSchema = z
  .looseObject({
    challenge: z.string(),
    timeout: z.number().optional(),
    rpId: z.string().optional(),
    allowCredentials: z.array(descriptorSchema).optional(),
    userVerification: z.string().optional(),
  })
  .openapi("PasskeyRequestOptions", {
    description:
      "PublicKeyCredentialRequestOptionsJSON: pass it to `startAuthentication({ optionsJSON })` of @simplewebauthn/browser, or to `PublicKeyCredential.parseRequestOptionsFromJSON()` and `navigator.credentials.get({ publicKey })`.",
    example: {
      rpId: "localhost",
      challenge: CHALLENGE,
      timeout: 300000,
      userVerification: "required",
    },
  });

export const RegistrationStartedSchema = z
  .object({ challenge_id: challengeIdSchema, options: CreationOptionsSchema })
  .openapi("PasskeyRegistrationStarted");

export const LoginStartedSchema = z
  .object({ challenge_id: challengeIdSchema, options: RequestOptionsSchema })
  .openapi("PasskeyLoginStarted");

export const RegisterOptionsRequestSchema = z
  .strictObject({
    current_password: z.string().min(1).max(1024).optional().openapi({
      description:
        "The account's current password. Needed unless this session's login was at most 5 minutes ago. Wrong ones count per user before they are checked (5 in 15 minutes, then 429).",
      example: ALICE.password,
    }),
  })
  .openapi("PasskeyRegisterOptionsRequest", { example: { current_password: ALICE.password } });

const clientExtensionResults = z
  .looseObject({})
  .openapi({ description: "The credential's getClientExtensionResults()", example: {} });

/** RegistrationResponseJSON: what `startRegistration()` (or the credential's toJSON()) gives. */
const RegistrationResponseSchema = z
  .looseObject({
    id: base64urlSchema(1366),
    rawId: base64urlSchema(1366),
    type: z.literal("public-key"),
    response: z.looseObject({
      clientDataJSON: base64urlSchema(8192),
      attestationObject: base64urlSchema(32768),
      transports: transportsSchema.optional(),
    }),
    authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
    clientExtensionResults,
  })
  .openapi("PasskeyRegistrationResponse", {
    description:
      "RegistrationResponseJSON, as @simplewebauthn/browser's startRegistration() returns it",
  });

/** AuthenticationResponseJSON: what `startAuthentication()` (or toJSON()) gives. */
const AuthenticationResponseSchema = z
  .looseObject({
    id: base64urlSchema(1366),
    rawId: base64urlSchema(1366),
    type: z.literal("public-key"),
    response: z.looseObject({
      clientDataJSON: base64urlSchema(8192),
      authenticatorData: base64urlSchema(8192),
      signature: base64urlSchema(1024),
      userHandle: base64urlSchema(128).optional(),
    }),
    authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
    clientExtensionResults,
  })
  .openapi("PasskeyAuthenticationResponse", {
    description:
      "AuthenticationResponseJSON, as @simplewebauthn/browser's startAuthentication() returns it",
  });

const passkeyName = trimmedText(64, { visible: true }).openapi({
  description: "What the user calls it (1-64 characters)",
  example: "Alice's phone",
});

export const RegisterVerifyRequestSchema = z
  .strictObject({
    challenge_id: challengeIdSchema,
    response: RegistrationResponseSchema,
    name: passkeyName.optional(),
  })
  .openapi("PasskeyRegisterVerifyRequest", {
    example: {
      challenge_id: "0193a4b2-8d2f-7e4b-a021-3c4d5e6f7081",
      name: "Alice's phone",
      response: {
        id: CREDENTIAL_ID,
        rawId: CREDENTIAL_ID,
        type: "public-key",
        response: {
          clientDataJSON: "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiLi4uIn0",
          attestationObject: "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVjF",
          transports: ["hybrid", "internal"],
        },
        authenticatorAttachment: "platform",
        clientExtensionResults: { credProps: { rk: true } },
      },
    },
  });

export const LoginOptionsRequestSchema = z
  .strictObject({
    email: emailSchema.optional().openapi({
      description:
        "Email-first login: the options list this account's passkeys. Leave it out for a usernameless login (the authenticator offers the passkeys it holds).",
      example: ALICE.email,
    }),
  })
  .openapi("PasskeyLoginOptionsRequest", { example: {} });

export const LoginVerifyRequestSchema = z
  .strictObject({ challenge_id: challengeIdSchema, response: AuthenticationResponseSchema })
  .openapi("PasskeyLoginVerifyRequest", {
    example: {
      challenge_id: "0193a4b2-8d2f-7e4b-a021-3c4d5e6f7081",
      response: {
        id: CREDENTIAL_ID,
        rawId: CREDENTIAL_ID,
        type: "public-key",
        response: {
          clientDataJSON: "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoiLi4uIn0",
          authenticatorData: "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
          signature: "MEUCIQDr4wQx7vKz9a5i2lYt0sRGdVn3qk2JxW8fJ3n1bXo0QgIgS2u",
          userHandle: "MDE5M2E0YjItN2MxZS03ZDNhLTlmMTAtMmIzYzRkNWU2Zjcw",
        },
        authenticatorAttachment: "platform",
        clientExtensionResults: {},
      },
    },
  });

export const PasskeySchema = z
  .object({
    id: z.uuid().openapi({ example: "0193a4b2-9e3a-7f5c-b132-4d5e6f708192" }),
    name: z.string().openapi({ example: "Alice's phone" }),
    created_at: z.iso.datetime(),
    last_used_at: z.iso
      .datetime()
      .nullable()
      .openapi({ description: "Its last login; null until the first" }),
    backed_up: z.boolean().openapi({
      description: "Whether the authenticator says it is backed up (a synced passkey)",
      example: true,
    }),
    device_type: z.enum(["single_device", "multi_device"]).openapi({
      description:
        "`multi_device`: a passkey that may sync between devices (a password manager's); `single_device`: bound to one authenticator (a security key)",
      example: "multi_device",
    }),
    transports: z
      .array(z.string())
      .openapi({ description: "How the browser may reach it", example: ["hybrid", "internal"] }),
  })
  .openapi("Passkey");

export const RenamePasskeySchema = z
  .strictObject({ name: passkeyName })
  .openapi("PasskeyRenameRequest", { example: { name: "Alice's laptop" } });

/** The `{id}` of one of the caller's passkeys. */
export const PasskeyIdParamSchema = idParam;

/** `/users/{id}/passkeys/{passkey_id}`. */
export const UserPasskeyParamSchema = idParam.extend({ passkey_id: uuidParam("passkey_id") });
