import { z } from "@hono/zod-openapi";
import {
  emailSchema,
  nameSchema,
  noControlCharacters,
  roleSchema,
  UserSchema,
  usernameSchema,
  userSortSchema,
} from "../../schemas/user";

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
    current_password: z.string().min(1).max(1024).optional().openapi({
      description:
        "Required with `email` when you change your own email (wrong: 400 invalid_current_password); only with `email`.",
    }),
  })
  // An empty update would change nothing yet move updated_at and the ETag: refuse it.
  .refine(
    ({ current_password: _, ...fields }) =>
      Object.values(fields).some((value) => value !== undefined),
    { message: "send at least one field to change" },
  )
  .refine((body) => body.current_password === undefined || body.email !== undefined, {
    path: ["current_password"],
    message: "is only accepted together with email",
  })
  .openapi("UserUpdate", {
    description:
      "Any non-empty subset of the fields. `role` and `active` only for admins (403 otherwise). Changing your own `email` needs `current_password`. `password`, `id`, timestamps and unknown fields are refused with 422.",
    example: { first_name: "Alicia" },
  });

export const UserUpdatedSchema = z
  .object({ message: z.literal("User updated successfully"), user: UserSchema })
  .openapi("UserUpdated");

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
  sort: userSortSchema.default("created_at").openapi({ param: { name: "sort", in: "query" } }),
});
