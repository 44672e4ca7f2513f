import { z } from "@hono/zod-openapi";
import {
  emailSchema,
  nameSchema,
  passwordSchema,
  UserSchema,
  usernameSchema,
} from "../../schemas/user";

const opaqueToken = z.string().min(1).max(512);

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
  .openapi("RegisterRequest", {
    example: {
      username: "alice",
      email: "alice@example.com",
      first_name: "Alice",
      last_name: "Liddell",
      password: "correct horse battery staple",
    },
  });

export const RegisteredSchema = z
  .object({ message: z.literal("User registered successfully"), user: UserSchema })
  .openapi("Registered");

export const LoginSchema = z
  .strictObject({ email: emailSchema, password: z.string().min(1).max(1024) })
  .openapi("LoginRequest", {
    example: { email: "alice@example.com", password: "correct horse battery staple" },
  });

export const TokensSchema = z
  .object({
    access_token: z.string().openapi({ description: "HS256 JWT, send as `Authorization: Bearer`" }),
    token_type: z.literal("Bearer"),
    expires_in: z
      .number()
      .int()
      .openapi({ description: "Seconds until the access token expires", example: 900 }),
    refresh_token: z.string().openapi({
      description: "Opaque, single use: POST /auth/refresh spends it and returns a new one",
    }),
  })
  .openapi("Tokens");

export const LoginResultSchema = TokensSchema.extend({ user: UserSchema }).openapi("LoginResult");

export const RefreshSchema = z
  .strictObject({ refresh_token: opaqueToken })
  .openapi("RefreshRequest");

export const LogoutSchema = z
  .strictObject({ refresh_token: opaqueToken.optional() })
  .openapi("LogoutRequest");

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
    reset_token: opaqueToken,
    new_password: passwordSchema,
    email: emailSchema.optional().openapi({ description: "When given, must be the token's user" }),
  })
  .openapi("ResetPasswordRequest");

export const ChangePasswordSchema = z
  .strictObject({ current_password: z.string().min(1).max(1024), new_password: passwordSchema })
  .openapi("ChangePasswordRequest");

export const PasswordChangedSchema = TokensSchema.extend({
  message: z.literal("Password changed successfully"),
}).openapi("PasswordChanged", {
  description: "Every other session has ended; the tokens here continue the caller's own session.",
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
