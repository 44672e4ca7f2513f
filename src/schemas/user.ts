// The user as the API shows it, and the field rules every resource that takes user fields shares
// (registration, updates): one definition each, so auth and users cannot disagree.
//
// Every pattern the OpenAPI document publishes is a plain ECMA-262 pattern without flags that
// accepts exactly what the server accepts (test/node/openapi-patterns.test.ts holds each one
// against its zod schema), so Swagger UI and code generators refuse nothing the server takes.
import { z } from "@hono/zod-openapi";
import { roleEnum, type UserRow, users } from "../db/schema";
import { ALICE } from "./examples";

/** Unicode's control characters (category Cc: C0, DEL and C1), as a range for a character class. */
const CONTROL = "\\u0000-\\u001F\\u007F-\\u009F";
const noControlCharacters = new RegExp(`^[^${CONTROL}]*$`);

/**
 * Characters that show nothing on their own: zero-width and format characters (soft hyphen,
 * zero-width space and joiners, bidi controls, word joiner, variation selectors, BOM, Hangul
 * fillers) and the common blocks of combining marks. A name made only of these looks empty.
 */
const INVISIBLE =
  "\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5\\u180B-\\u180F\\u200B-\\u200F\\u202A-\\u202E" +
  "\\u2060-\\u206F\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0\\uFFF9-\\uFFFB" +
  "\\u0300-\\u036F\\u0483-\\u0489\\u0591-\\u05C7\\u0610-\\u061A\\u064B-\\u065F\\u0670" +
  "\\u1AB0-\\u1AFF\\u1DC0-\\u1DFF\\u20D0-\\u20FF\\uFE20-\\uFE2F";
/**
 * One visible character, as a pattern that means the same with and without the `u` flag (servers
 * test it without, JSON Schema validators with): any character of the Basic Multilingual Plane that
 * is not whitespace, control or INVISIBLE, or any character beyond it (a surrogate pair).
 */
const VISIBLE = `(?:[^\\s${CONTROL}${INVISIBLE}\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])`;
const visibleCharacter = new RegExp(VISIBLE);

/**
 * Text that is trimmed, then must hold 1 to `max` characters (code points, as JSON Schema counts
 * them) and no control character. The document describes the raw input, whitespace around it
 * included, so its pattern allows that whitespace (`\s` is exactly what `trim()` removes) instead
 * of publishing minLength and maxLength the untrimmed input need not meet.
 */
export function trimmedText(max: number, { visible = false } = {}) {
  const edge = `[^\\s${CONTROL}]`;
  const text = z
    .string()
    .trim()
    .refine((value) => value.length > 0, "must not be empty")
    .refine((value) => [...value].length <= max, `must be at most ${max} characters`)
    .regex(noControlCharacters, "must not contain control characters");
  const pattern = `^\\s*${edge}(?:[^${CONTROL}]{0,${max - 2}}${edge})?\\s*$`;
  return visible
    ? text
        // An empty value has its own error above; one per field.
        .refine(
          (value) => value === "" || visibleCharacter.test(value),
          "must contain a visible character, not only invisible ones",
        )
        .openapi({ pattern: `^(?=[\\s\\S]*${VISIBLE})${pattern.slice(1)}` })
    : text.openapi({ pattern });
}

export const usernameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{3,32}$/, "must be 3-32 letters, digits, '.', '_' or '-'")
  .openapi({ example: "alice" });

/**
 * An address of RFC 5321's common form: a dot-atom local part of at most 64 characters (RFC 5322
 * `atext`), an `@`, and a domain of at least two LDH labels (so `a@b.c` is fine, `root@localhost`
 * is not). Quoted local parts, address literals and non-ASCII addresses are refused.
 */
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const emailPattern = `^(?=[^@]{1,64}@)${ATEXT}+(?:\\.${ATEXT}+)*@(?:${LABEL}\\.)+${LABEL}$`;

export const emailSchema = z
  .string()
  .max(254, "must be at most 254 characters")
  .regex(new RegExp(emailPattern), "must be a valid email address")
  .openapi({ format: "email", example: "alice@example.com" });

export const nameSchema = trimmedText(100, { visible: true });

export const passwordSchema = z.string().min(8, "must be at least 8 characters").max(1024).openapi({
  // What is published is what passes: anything over 72 characters is over 72 bytes too.
  maxLength: 72,
  description:
    "At least 8 characters and at most 72 bytes of UTF-8 (longer is 422 password_too_long); common passwords and ones containing the username are refused (422 weak_password).",
  example: ALICE.password,
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

/**
 * The columns a public user is made of: what a list reads, so that no other column is fetched
 * and mapped for each of its rows.
 */
export const publicUserColumns = {
  id: users.id,
  username: users.username,
  email: users.email,
  firstName: users.firstName,
  lastName: users.lastName,
  role: users.role,
  active: users.active,
  emailVerified: users.emailVerified,
  mfaEnabled: users.mfaEnabled,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};

export type PublicUserRow = Pick<UserRow, keyof typeof publicUserColumns>;

/** The only way a user row leaves the API: an allow-list, so secrets never slip out. */
export function toPublicUser(row: PublicUserRow): PublicUser {
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

/**
 * A UUID `{id}` path parameter. Ids are opaque: any well-formed UUID is a possible id (one that
 * names nothing is a 404), in any letter case, as UUIDs are case-insensitive. The pattern says the
 * same to tools, which read `format: uuid` in different ways.
 */
export const uuidParam = (name: string) =>
  z
    .guid("must be a UUID")
    .toLowerCase()
    .openapi({
      param: { name, in: "path" },
      pattern: "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
      example: "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70",
    });

export const idParam = z.object({ id: uuidParam("id") });

/** The `{id}` of a path under /users. */
export const UserIdParamSchema = idParam;
