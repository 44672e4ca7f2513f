import { z } from "@hono/zod-openapi";
import { pageQuery } from "../../schemas/pagination";
import {
  emailSchema,
  nameSchema,
  roleSchema,
  trimmedText,
  UserSchema,
  usernameSchema,
  userSortSchema,
} from "../../schemas/user";

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
        "Required with `email` when you change your own email (wrong: 400 invalid_current_password; counted per user before it is checked, 5 wrong in 15 minutes, then 429); only with `email`.",
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
    // The two refinements above, in JSON Schema: some field, and current_password only with email.
    // (dependentRequired is JSON Schema 2020-12, which OpenAPI 3.1 uses; the typings predate it.)
    minProperties: 1,
    ...{ dependentRequired: { current_password: ["email"] } },
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
  ...pageQuery,
  q: trimmedText(100)
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
