import { z } from "@hono/zod-openapi";
import type { UserRow } from "../../db/schema";

const noControlCharacters = /^[^\p{Cc}]*$/u;

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

export const roleSchema = z.enum(["ADMIN", "USER"]);

export const UserSchema = z
  .object({
    id: z.uuid().openapi({ example: "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70" }),
    username: z.string().openapi({ example: "alice" }),
    email: z.string().openapi({ example: "alice@example.com" }),
    first_name: z.string().openapi({ example: "Alice" }),
    last_name: z.string().openapi({ example: "Liddell" }),
    role: roleSchema.openapi({ example: "USER" }),
    active: z.boolean().openapi({ example: true }),
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
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export const UserIdParamSchema = z.object({
  // Ids are compared as strings: accept any case, as a UUID is case-insensitive.
  id: z
    .uuid("must be a UUID")
    .toLowerCase()
    .openapi({
      param: { name: "id", in: "path" },
      example: "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70",
    }),
});

export const UserUpdateSchema = z
  .strictObject({
    username: usernameSchema.optional(),
    email: emailSchema.optional(),
    first_name: nameSchema.optional(),
    last_name: nameSchema.optional(),
    role: roleSchema.optional().openapi({ description: "Admins only" }),
    active: z.boolean().optional().openapi({ description: "Admins only" }),
  })
  // An empty update would change nothing yet move updated_at and the ETag: refuse it.
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    message: "send at least one field to change",
  })
  .openapi("UserUpdate", {
    description:
      "Any non-empty subset of the fields. `role` and `active` only for admins (403 otherwise). `password`, `id`, timestamps and unknown fields are refused with 422.",
    example: { first_name: "Alicia" },
  });

export const UserUpdatedSchema = z
  .object({ message: z.literal("User updated successfully"), user: UserSchema })
  .openapi("UserUpdated");

const sortValues = [
  "created_at",
  "-created_at",
  "username",
  "-username",
  "email",
  "-email",
] as const;

const booleanQuery = z
  .enum(["true", "false"], "must be true or false")
  .transform((value) => value === "true");

export const ListUsersQuerySchema = z.object({
  page: z.coerce
    .number("must be an integer")
    .int("must be an integer")
    .min(1)
    .max(1_000_000)
    .default(1)
    .openapi({ param: { name: "page", in: "query" }, example: 1 }),
  per_page: z.coerce
    .number("must be an integer")
    .int("must be an integer")
    .min(1)
    .max(100)
    .default(20)
    .openapi({ param: { name: "per_page", in: "query" }, example: 20 }),
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(noControlCharacters, "must not contain control characters")
    .optional()
    .openapi({
      param: { name: "q", in: "query" },
      description: "Case-insensitive substring of username, email, first or last name",
    }),
  role: roleSchema.optional().openapi({ param: { name: "role", in: "query" } }),
  active: booleanQuery
    .optional()
    .openapi({ param: { name: "active", in: "query" }, type: "boolean" }),
  sort: z
    .enum(sortValues)
    .default("created_at")
    .openapi({ param: { name: "sort", in: "query" } }),
});

export type ListUsersQuery = z.output<typeof ListUsersQuerySchema>;
