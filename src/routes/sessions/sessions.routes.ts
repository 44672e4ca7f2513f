import { createRoute, z } from "@hono/zod-openapi";
import {
  AUTH_PROBLEMS,
  jsonContent,
  NO_STORE_HEADER,
  problemResponses,
  SERVER_PROBLEMS,
} from "../../lib/openapi";
import { pageHeaders } from "../../schemas/pagination";
import { UserIdParamSchema } from "../../schemas/user";
import { adminBearer, bearer } from "../presets";
import { SessionIdParamSchema, SessionSchema, SessionsQuerySchema } from "./sessions.schemas";

const sessionsPage = {
  description: "A page of live sessions, newest first",
  headers: { ...NO_STORE_HEADER, ...pageHeaders },
  content: jsonContent(z.array(SessionSchema)),
};

export const listMySessions = createRoute({
  method: "get",
  path: "/auth/sessions",
  operationId: "listMySessions",
  tags: ["Sessions"],
  summary: "The caller's live sessions",
  description:
    "Newest first (by when each started), paginated like GET /users. `current` marks the session of the access token used. A session ends at logout, when it is ended here, or when something ends all of the user's sessions (password change or reset, role change, deactivation).",
  ...bearer,
  request: { query: SessionsQuerySchema },
  responses: {
    200: sessionsPage,
    ...problemResponses(AUTH_PROBLEMS, "validation_failed", SERVER_PROBLEMS),
  },
});

export const endMySession = createRoute({
  method: "delete",
  path: "/auth/sessions/{id}",
  operationId: "endMySession",
  tags: ["Sessions"],
  summary: "End one of the caller's sessions",
  description:
    "Its refresh token and access tokens stop working on their very next use. Someone else's session, or an unknown or ended one, is 404.",
  ...bearer,
  request: { params: SessionIdParamSchema },
  responses: {
    204: { description: "Ended" },
    ...problemResponses(AUTH_PROBLEMS, "not_found", "validation_failed", SERVER_PROBLEMS),
  },
});

export const listUserSessions = createRoute({
  method: "get",
  path: "/users/{id}/sessions",
  operationId: "listUserSessions",
  tags: ["Sessions"],
  summary: "A user's live sessions (admin)",
  description: "Newest first, paginated like GET /auth/sessions, for any user.",
  ...adminBearer,
  request: { params: UserIdParamSchema, query: SessionsQuerySchema },
  responses: {
    200: sessionsPage,
    ...problemResponses(
      AUTH_PROBLEMS,
      "forbidden",
      "not_found",
      "validation_failed",
      SERVER_PROBLEMS,
    ),
  },
});

export const endUserSessions = createRoute({
  method: "delete",
  path: "/users/{id}/sessions",
  operationId: "endUserSessions",
  tags: ["Sessions"],
  summary: "End all of a user's sessions (admin)",
  description: "Every refresh and access token of the user stops working on its very next use.",
  ...adminBearer,
  request: { params: UserIdParamSchema },
  responses: {
    204: { description: "Ended" },
    ...problemResponses(
      AUTH_PROBLEMS,
      "forbidden",
      "not_found",
      "validation_failed",
      SERVER_PROBLEMS,
    ),
  },
});
