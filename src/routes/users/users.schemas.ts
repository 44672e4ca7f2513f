import { z } from "@hono/zod-openapi";
import { BCRYPT_HASH } from "../../lib/password";
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
  external_id: trimmedText(255)
    .optional()
    .openapi({
      param: { name: "external_id", in: "query" },
      description: "Exactly this id from the system the user was imported from",
    }),
});

/** At most this many users per POST /users/import. */
const IMPORT_BATCH_MAX = 1000;

/**
 * One user of POST /users/import, under the same field rules as registration. Checked item by
 * item in the handler, so one bad item is reported in its result instead of refusing the batch.
 */
export const ImportUserSchema = z
  .strictObject({
    email: emailSchema,
    username: usernameSchema,
    first_name: nameSchema.openapi({ example: "Alice" }),
    last_name: nameSchema.openapi({ example: "Liddell" }),
    role: roleSchema.optional().openapi({ description: "Default USER" }),
    active: z.boolean().optional().openapi({ description: "Default true" }),
    email_verified: z.boolean().optional().openapi({ description: "Default false" }),
    created_at: z.iso.datetime({ offset: true }).optional().openapi({
      description: "When the user was created in the source system; default now",
      example: "2024-03-01T09:30:00Z",
    }),
    external_id: trimmedText(255).optional().openapi({
      description:
        "The user's id in the source system, kept and findable with GET /users?external_id=",
      example: "42",
    }),
    password_hash: z
      .string()
      .regex(BCRYPT_HASH, "must be a bcrypt hash ($2a$, $2b$ or $2y$, cost 04-15)")
      .optional()
      .openapi({
        description:
          "A bcrypt hash from the source system, stored as it is: the old password keeps working and is rehashed at this server's cost on the next login. Without one, the user sets a password through POST /auth/forgot-password. On upsert, a hash is written only to an account that has no password yet.",
        example: "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
      }),
  })
  .openapi("ImportUser");

export const ImportRequestSchema = z
  .strictObject({
    users: z
      .array(z.unknown())
      .min(1, "send at least one user")
      .max(IMPORT_BATCH_MAX, `must hold at most ${IMPORT_BATCH_MAX} users`)
      .openapi({
        description: `1 to ${IMPORT_BATCH_MAX} users, each an ImportUser. Each is checked on its own: one that breaks a field rule is reported in its result (status invalid), not refused with the batch.`,
        items: { $ref: "#/components/schemas/ImportUser" },
      }),
    mode: z.enum(["create", "upsert"]).default("create").openapi({
      description:
        "create: an email that exists is a conflict. upsert: it is updated where it differs (matched by email, case-insensitively), so a second identical run changes nothing.",
    }),
    dry_run: z.boolean().default(false).openapi({
      description: "Check everything and report what would happen; write nothing",
    }),
  })
  .openapi("ImportRequest", {
    example: {
      mode: "upsert",
      dry_run: false,
      users: [
        {
          email: "alice@example.com",
          username: "alice",
          first_name: "Alice",
          last_name: "Liddell",
          role: "USER",
          active: true,
          created_at: "2024-03-01T09:30:00Z",
          external_id: "42",
          password_hash: "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        },
      ],
    },
  });

const ImportResultSchema = z
  .object({
    index: z.number().int().openapi({ description: "The item's position in `users`, from 0" }),
    status: z.enum(["created", "updated", "unchanged", "invalid", "conflict"]),
    id: z.uuid().optional().openapi({
      description:
        "The user's id here (created, updated or unchanged; none in a dry run's created)",
    }),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: "Why an invalid or conflicting item was not written" }),
  })
  .openapi("ImportResult");

export const ImportResponseSchema = z
  .object({
    created: z.number().int(),
    updated: z.number().int(),
    skipped: z.number().int().openapi({ description: "Unchanged users" }),
    failed: z.number().int().openapi({ description: "Invalid and conflicting items" }),
    dry_run: z.boolean(),
    results: z.array(ImportResultSchema),
  })
  .openapi("ImportResponse");
