import { createRoute, z } from "@hono/zod-openapi";
import {
  AUTH_PROBLEMS,
  BODY_PROBLEMS,
  jsonContent,
  MessageSchema,
  problemResponses,
  SERVER_PROBLEMS,
} from "../../lib/openapi";
import { pageHeaders } from "../../schemas/pagination";
import { UserIdParamSchema, UserSchema } from "../../schemas/user";
import { adminBearer, bearer } from "../presets";
import {
  ImportRequestSchema,
  ImportResponseSchema,
  ListUsersQuerySchema,
  UserUpdatedSchema,
  UserUpdateSchema,
} from "./users.schemas";

const etag = { ETag: { schema: { type: "string" as const, example: '"3"' } } };
const updatedResponse = {
  description: "Updated",
  headers: etag,
  content: jsonContent(UserUpdatedSchema),
};
/**
 * If-Match may list several entity tags (RFC 9110), each of them a bind parameter of the update:
 * at most 20, in at most 1024 characters, or the header is a 422 like any other invalid field.
 */
const ifMatch = z.object({
  "if-match": z
    .string()
    .max(1024, "must be at most 1024 characters")
    .regex(/^[^,]*(,[^,]*){0,19}$/, "must list at most 20 entity tags")
    .optional()
    .openapi({
      param: { name: "if-match", in: "header" },
      // No example: Swagger UI would prefill it, and a made-up ETag fails every update with 412.
      description:
        'Optional. The `ETag` of your last GET, quotes included (like `"3"`), makes the update conditional: if the user changed since, the answer is 412 and nothing changes. Leave it out to update unconditionally; an empty `If-Match:` names no tag, so it matches nothing (412), never an unconditional update. Up to 20 comma-separated tags (any may match) or `*`; more is 422.',
    }),
});

export const listUsers = createRoute({
  method: "get",
  path: "/users",
  operationId: "listUsers",
  tags: ["Users"],
  summary: "List users (admin)",
  description:
    "Filtered, sorted and paged by keyset: the answer is one page, a JSON array (a plain `GET /users` is the first 20 users). `Link` (RFC 8288) leads to the `next` and `prev` pages (where rows lie that way), the `first` and the `last`, with an opaque `cursor` that resumes right after the page's edge row however rows come and go, through an index, however deep. `page` numbers reach the first 10,000 rows. `X-Total-Count` is exact up to 10,000 matches; past that `X-Total-Count-Estimate` carries the planner's estimate instead, unless `count=exact` asks for the full count and its cost. Every page costs the database about the same at a million users as at a thousand.",
  ...adminBearer,
  request: { query: ListUsersQuerySchema },
  responses: {
    200: {
      description: "A page of users",
      headers: pageHeaders,
      content: jsonContent(z.array(UserSchema)),
    },
    ...problemResponses(AUTH_PROBLEMS, "forbidden", "validation_failed", SERVER_PROBLEMS),
  },
});

export const getMe = createRoute({
  method: "get",
  path: "/users/me",
  operationId: "getMe",
  tags: ["Users"],
  summary: "The caller's own user",
  description: "The user of the access token, with its `ETag` for a conditional update.",
  ...bearer,
  responses: {
    200: { description: "The caller", headers: etag, content: jsonContent(UserSchema) },
    ...problemResponses(AUTH_PROBLEMS, SERVER_PROBLEMS),
  },
});

export const updateMe = createRoute({
  method: "patch",
  path: "/users/me",
  operationId: "updateMe",
  tags: ["Users"],
  summary: "Update the caller's own user",
  description:
    "Any non-empty subset of username, email, first_name and last_name. Changing your own email needs `current_password`; `role` and `active` are for admins (403).",
  ...bearer,
  request: { headers: ifMatch, body: { required: true, content: jsonContent(UserUpdateSchema) } },
  responses: {
    200: updatedResponse,
    ...problemResponses(
      BODY_PROBLEMS,
      AUTH_PROBLEMS,
      "forbidden",
      "conflict",
      "precondition_failed",
      "rate_limited",
      SERVER_PROBLEMS,
    ),
  },
});

export const getUser = createRoute({
  method: "get",
  path: "/users/{id}",
  operationId: "getUser",
  tags: ["Users"],
  summary: "Get a user (self or admin)",
  description: "A non-admin asking for anyone else gets 403, whether or not that user exists.",
  ...bearer,
  request: { params: UserIdParamSchema },
  responses: {
    200: { description: "The user", headers: etag, content: jsonContent(UserSchema) },
    ...problemResponses(
      AUTH_PROBLEMS,
      "forbidden",
      "not_found",
      "validation_failed",
      SERVER_PROBLEMS,
    ),
  },
});

const updateRoute = <M extends "put" | "patch">(method: M) =>
  createRoute({
    method,
    path: "/users/{id}",
    operationId: method === "put" ? "putUser" : "patchUser",
    tags: ["Users"],
    summary: `Update a user (self or admin; partial${method === "put" ? ", like PATCH" : ""})`,
    description:
      "Self or admin may change username, email, first_name and last_name; only an admin may change role and active. Deactivating a user or changing their role ends their sessions. The last active admin cannot be demoted or deactivated (409 last_admin).",
    ...bearer,
    request: {
      params: UserIdParamSchema,
      headers: ifMatch,
      body: { required: true, content: jsonContent(UserUpdateSchema) },
    },
    responses: {
      200: updatedResponse,
      ...problemResponses(
        BODY_PROBLEMS,
        AUTH_PROBLEMS,
        "forbidden",
        "not_found",
        "conflict",
        "last_admin",
        "precondition_failed",
        "rate_limited",
        SERVER_PROBLEMS,
      ),
    },
  });

export const putUser = updateRoute("put");
export const patchUser = updateRoute("patch");

export const deleteUser = createRoute({
  method: "delete",
  path: "/users/{id}",
  operationId: "deleteUser",
  tags: ["Users"],
  summary: "Delete a user (admin)",
  description:
    "The user's sessions and tokens end with it. The last active admin cannot be deleted.",
  ...adminBearer,
  request: { params: UserIdParamSchema },
  responses: {
    200: { description: "Deleted", content: jsonContent(MessageSchema) },
    ...problemResponses(
      AUTH_PROBLEMS,
      "forbidden",
      "not_found",
      "last_admin",
      "validation_failed",
      SERVER_PROBLEMS,
    ),
  },
});

export const importUsers = createRoute({
  method: "post",
  path: "/users/import",
  operationId: "importUsers",
  tags: ["Users"],
  summary: "Import users with their password hashes (admin)",
  description:
    "Brings users over from another system (the original Flask API: `npm run import:flask`) without a password reset: bcrypt hashes are kept and work at once. Up to 1,000 users a request (bodies up to 2 MiB), written in one statement; each item is written whole or not at all and gets its own result. `mode: upsert` matches by email (case-insensitively) and is idempotent. Each created or updated user gets a `user.imported` event; the last active admin cannot be demoted or deactivated.",
  ...adminBearer,
  request: { body: { required: true, content: jsonContent(ImportRequestSchema) } },
  responses: {
    200: {
      description: "What happened to each user (or would have, in a dry run)",
      content: jsonContent(ImportResponseSchema),
    },
    ...problemResponses(BODY_PROBLEMS, AUTH_PROBLEMS, "forbidden", "conflict", SERVER_PROBLEMS),
  },
});
