import { z } from "@hono/zod-openapi";
import { ALICE, NEXT_PASSWORD } from "../../schemas/examples";
import {
  emailSchema,
  nameSchema,
  passwordSchema,
  UserSchema,
  usernameSchema,
} from "../../schemas/user";

const opaqueToken = z.string().min(1).max(512);

/** What a refresh token looks like (256 random bits, base64url), for examples only. */
const REFRESH_TOKEN_EXAMPLE = "q7Xv2mN0cR8tLw4kZpH1sYbE6uJ3aGfD9oVxC5nTiQe";
const refreshToken = opaqueToken.openapi({
  description: "The `refresh_token` of the last login or refresh",
  example: REFRESH_TOKEN_EXAMPLE,
});

export const RegisterSchema = z
  .strictObject({
    username: usernameSchema,
    email: emailSchema,
    first_name: nameSchema.openapi({ example: "Alice" }),
    last_name: nameSchema.openapi({ example: "Liddell" }),
    password: passwordSchema,
    secret_admin_key: z.string().max(512).optional().openapi({
      description:
        "Equal to the server's SECRET_ADMIN_KEY: the user is created as ADMIN. Any other value, or any value while no key is configured, is 403 invalid_admin_key.",
    }),
  })
  .openapi("RegisterRequest", { example: ALICE });

export const RegisteredSchema = z
  .object({ message: z.literal("User registered successfully"), user: UserSchema })
  .openapi("Registered");

export const LoginSchema = z
  .strictObject({ email: emailSchema, password: z.string().min(1).max(1024) })
  .openapi("LoginRequest", {
    example: { email: ALICE.email, password: ALICE.password },
  });

export const tokenFields = {
  access_token: z.string().openapi({
    description:
      "A JWT signed with ES256 (or EdDSA), its `kid` in the header: any service can verify it with GET /.well-known/jwks.json. Send it as `Authorization: Bearer` (in Swagger UI: paste it into Authorize)",
    example:
      "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjIwMjYtMTItMDYtMWYyZTNkNGMifQ.eyJzdWIiOiIwMTkzYTRiMi03YzFlLTdkM2EtOWYxMC0yYjNjNGQ1ZTZmNzAifQ.c2lnbmF0dXJlLWV4YW1wbGUtb25seS1zaWduYXR1cmUtZXhhbXBsZS1vbmx5LTAxMjM0NTY3ODkwMTIzNDU2Nw",
  }),
  token_type: z.literal("Bearer"),
  expires_in: z
    .number()
    .int()
    .openapi({ description: "Seconds until the access token expires", example: 900 }),
  refresh_token: z.string().openapi({
    description: "Opaque, single use: POST /auth/refresh spends it and returns a new one",
    example: REFRESH_TOKEN_EXAMPLE,
  }),
};

// The answers that carry tokens list the fields themselves rather than extending Tokens: an
// `allOf` shows in Swagger UI as "(Tokens & object)" instead of the answer's own name and fields.
export const TokensSchema = z.object(tokenFields).openapi("Tokens");

export const LoginResultSchema = z
  .object({ ...tokenFields, user: UserSchema })
  .openapi("LoginResult");

export const RefreshSchema = z
  .strictObject({ refresh_token: refreshToken })
  .openapi("RefreshRequest");

export const LogoutSchema = z
  .strictObject({
    refresh_token: refreshToken.optional().openapi({
      description:
        "Also end the session of this refresh token, when it is yours. Without it, `local` ends the session of the access token used.",
    }),
  })
  .openapi("LogoutRequest", { example: { refresh_token: REFRESH_TOKEN_EXAMPLE } });

export const LogoutQuerySchema = z.object({
  scope: z
    .enum(["local", "global"])
    .default("local")
    .openapi({
      param: { name: "scope", in: "query" },
      description:
        "`local` ends one session (the refresh token's, else the access token's); `global` ends every session and access token of the user",
    }),
});

export const ForgotPasswordSchema = z
  .strictObject({ email: emailSchema })
  .openapi("ForgotPasswordRequest");

export const ForgotPasswordAcceptedSchema = z
  .object({
    message: z.literal(
      "If an account exists for that email, a password reset email has been sent.",
    ),
  })
  .openapi("ForgotPasswordAccepted");

export const ResetPasswordSchema = z
  .strictObject({
    reset_token: opaqueToken.openapi({
      description: "The `token` query parameter of the link in the reset email",
    }),
    new_password: passwordSchema,
    email: emailSchema.optional().openapi({
      description:
        "Optional. When given, it must be the address the reset email went to (any letter case), else 400 email_mismatch.",
    }),
  })
  // No `email` in the example: a prefilled address would make a valid token fail.
  .openapi("ResetPasswordRequest", {
    example: {
      reset_token: "3q2-7wJc0bXkR1sV8pLmT4yN6hA9dF2gZ5uE0oWiC7e",
      new_password: NEXT_PASSWORD,
    },
  });

export const ChangePasswordSchema = z
  .strictObject({ current_password: z.string().min(1).max(1024), new_password: passwordSchema })
  .openapi("ChangePasswordRequest", {
    example: {
      current_password: ALICE.password,
      new_password: NEXT_PASSWORD,
    },
  });

export const PasswordChangedSchema = z
  .object({ message: z.literal("Password changed successfully"), ...tokenFields })
  .openapi("PasswordChanged", {
    description:
      "Every other session has ended; the tokens here continue the caller's own session.",
  });

export const VerifyEmailSchema = z
  .strictObject({
    token: opaqueToken.openapi({
      description: "The `token` of the link in the verification email (`EMAIL_VERIFY_URL?token=`)",
    }),
  })
  .openapi("VerifyEmailRequest", {
    example: { token: "q3Vx9c1f8m2L0aZk7tPwYbN4sR6uE5hJ1oG2dC8vXyA" },
  });

export const EmailVerifiedSchema = z
  .object({ message: z.literal("Email verified successfully"), user: UserSchema })
  .openapi("EmailVerified");

export const VerificationSentSchema = z
  .object({ message: z.literal("A verification email has been sent to your address.") })
  .openapi("VerificationSent");
