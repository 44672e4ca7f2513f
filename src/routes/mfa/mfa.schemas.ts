import { z } from "@hono/zod-openapi";
import { ALICE } from "../../schemas/examples";
import { UserSchema } from "../../schemas/user";
import { tokenFields } from "../auth/auth.schemas";

const codeSchema = z
  .string()
  .regex(/^\d{6}$/, "must be 6 digits")
  .openapi({ description: "The 6-digit code the authenticator app shows now", example: "492039" });

const recoveryCodeSchema = z.string().min(1).max(64).openapi({
  description: "One of the recovery codes shown at enrolment (any case, dashes optional)",
  example: "k7rm-2xqd-9fha-tw4p",
});

const mfaTokenSchema = z
  .string()
  .min(1)
  .max(2048)
  .openapi({ description: "The mfa_token from POST /auth/login" });

/** How the document says "exactly one of `code` and `recovery_code`", which oneFactor checks. */
const ONE_FACTOR = {
  // A body with both matches both branches, which oneOf refuses.
  oneOf: [{ required: ["code"] }, { required: ["recovery_code"] }],
};

/** Exactly one of `code` and `recovery_code`: a 422 naming the fields otherwise. */
function oneFactor(body: { code?: string; recovery_code?: string }, ctx: z.RefinementCtx) {
  if ((body.code === undefined) === (body.recovery_code === undefined)) {
    for (const path of ["code", "recovery_code"]) {
      ctx.addIssue({
        code: "custom",
        path: [path],
        message: "give exactly one of code and recovery_code",
      });
    }
  }
}

/** The current password: re-authentication before anything that changes the second factor. */
const currentPasswordSchema = z.string().min(1).max(1024).openapi({
  description:
    "The account's current password. Wrong ones count per user before they are checked (5 in 15 minutes, then 429).",
  example: ALICE.password,
});

export const TotpSetupRequestSchema = z
  .strictObject({ current_password: currentPasswordSchema })
  .openapi("TotpSetupRequest", { example: { current_password: ALICE.password } });

export const TotpSetupSchema = z
  .object({
    secret: z.string().openapi({
      description:
        "Base32 secret (SHA-1, 6 digits, 30 s), to type in if the QR code cannot be used",
      example: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    }),
    otpauth_url: z.string().openapi({
      description: "The secret as a URL for authenticator apps; show it as a QR code",
      example:
        "otpauth://totp/User%20Management%20API:alice%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=User%20Management%20API&algorithm=SHA1&digits=6&period=30",
    }),
    qr_code: z.string().openapi({
      description:
        'The otpauth_url as a QR code, an SVG data URI for an image element: `<img src="…" alt="QR code for your authenticator app">`. Scan it with the app.',
      pattern: "^data:image/svg\\+xml;base64,[A-Za-z0-9+/]+=*$",
      example: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=",
    }),
  })
  .openapi("TotpSetup");

export const TotpEnableSchema = z.strictObject({ code: codeSchema }).openapi("TotpEnableRequest");

export const TotpEnabledSchema = z
  .object({
    recovery_codes: z
      .array(z.string())
      .length(10)
      .openapi({
        description:
          "Ten single-use codes for when the authenticator is lost. Shown only now: store them safely.",
        example: ["k7rm-2xqd-9fha-tw4p", "3nce-uy8w-pbz5-a2hk"],
      }),
    user: UserSchema,
  })
  .openapi("TotpEnabled");

export const TotpDisableSchema = z
  .strictObject({
    current_password: currentPasswordSchema,
    code: codeSchema.optional(),
    recovery_code: recoveryCodeSchema.optional(),
  })
  .superRefine(oneFactor)
  .openapi("TotpDisableRequest", {
    ...ONE_FACTOR,
    example: { current_password: ALICE.password, code: "492039" },
  });

export const TotpDisabledSchema = z
  .object({ message: z.literal("Two-factor login disabled"), user: UserSchema })
  .openapi("TotpDisabled");

export const MfaVerifySchema = z
  .strictObject({
    mfa_token: mfaTokenSchema,
    code: codeSchema.optional(),
    recovery_code: recoveryCodeSchema.optional(),
  })
  .superRefine(oneFactor)
  .openapi("MfaVerifyRequest", {
    ...ONE_FACTOR,
    example: { mfa_token: "eyJhbGciOiJIUzI1NiJ9...", code: "492039" },
  });

export const MfaVerifiedSchema = z
  .object({
    ...tokenFields,
    user: UserSchema,
    recovery_codes_left: z.number().int().optional().openapi({
      description: "Only when a recovery code was used: how many unused ones remain",
      example: 9,
    }),
  })
  .openapi("MfaVerified");

export const MfaRequiredSchema = z
  .object({
    mfa_required: z.literal(true),
    mfa_token: z.string().openapi({
      description: "Send it with a code to POST /auth/mfa/verify; no access or refresh token yet",
    }),
    expires_in: z
      .number()
      .int()
      .openapi({ description: "Seconds the mfa_token lives", example: 300 }),
  })
  .openapi("MfaRequired", {
    description:
      "The password was right and the account has two-factor login: the second step is POST /auth/mfa/verify.",
  });
