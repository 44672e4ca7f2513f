// The user as the API shows it, and the field rules every resource that takes user fields shares
// (registration, updates): one definition each, so auth and users cannot disagree.
import { z } from "@hono/zod-openapi";
import { roleEnum, type UserRow } from "../db/schema";

export const noControlCharacters = /^[^\p{Cc}]*$/u;

export const usernameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{3,32}$/, "must be 3-32 letters, digits, '.', '_' or '-'")
  .openapi({ example: "alice" });

export const emailSchema = z
  .email("must be a valid email address")
  .max(254)
  .openapi({ example: "alice@example.com" });

export const nameSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters")
  .regex(noControlCharacters, "must not contain control characters");

export const passwordSchema = z.string().min(8, "must be at least 8 characters").max(1024).openapi({
  description:
    "At least 8 characters and at most 72 bytes of UTF-8 (longer is 422 password_too_long); common passwords and ones containing the username are refused (422 weak_password).",
  example: "correct horse battery staple",
});

export const roleSchema = z.enum(roleEnum.enumValues);

export const UserSchema = z
  .object({
    id: z.uuid().openapi({ example: "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70" }),
    username: z.string().openapi({ example: "alice" }),
    email: z.string().openapi({ example: "alice@example.com" }),
    first_name: z.string().openapi({ example: "Alice" }),
    last_name: z.string().openapi({ example: "Liddell" }),
    role: roleSchema.openapi({ example: "USER" }),
    active: z.boolean().openapi({ example: true }),
    email_verified: z.boolean().openapi({
      description:
        "Whether the current email was verified (read-only; see POST /auth/verify-email)",
      example: false,
    }),
    mfa_enabled: z.boolean().openapi({
      description:
        "Whether login needs a second factor (read-only; see POST /auth/mfa/totp/enable and /disable)",
      example: false,
    }),
    created_at: z.iso.datetime().openapi({ example: "2026-11-27T10:22:13.175Z" }),
    updated_at: z.iso.datetime().openapi({ example: "2026-11-27T10:22:13.175Z" }),
  })
  .openapi("User");

export type PublicUser = z.infer<typeof UserSchema>;

/** The only way a user row leaves the API: an allow-list, so secrets never slip out. */
export function toPublicUser(row: UserRow): PublicUser {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    first_name: row.firstName,
    last_name: row.lastName,
    role: row.role,
    active: row.active,
    email_verified: row.emailVerified,
    mfa_enabled: row.mfaEnabled,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** How GET /users may be ordered: a key, descending with a leading `-`. */
export const userSortSchema = z.enum([
  "created_at",
  "-created_at",
  "username",
  "-username",
  "email",
  "-email",
]);
export type UserSort = z.output<typeof userSortSchema>;

/** A UUID `{id}` path parameter, accepted in any letter case (as UUIDs are case-insensitive). */
export const idParam = z.object({
  id: z
    .uuid("must be a UUID")
    .toLowerCase()
    .openapi({
      param: { name: "id", in: "path" },
      example: "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70",
    }),
});

/** The `{id}` of a path under /users. */
export const UserIdParamSchema = idParam;
