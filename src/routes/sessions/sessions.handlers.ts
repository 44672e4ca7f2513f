import type { Context } from "hono";
import { clientInfo } from "../../lib/client";
import { NO_STORE } from "../../lib/error-handler";
import type { AppRouteHandler } from "../../lib/openapi";
import { problems } from "../../lib/problems";
import type { TokenEnv } from "../../middleware/auth";
import { type PageQuery, pageHeaderValues, pageRequest } from "../../schemas/pagination";
import {
  endAllSessions,
  endSessionById,
  listSessions,
  type SessionInfo,
  sessionListBinding,
} from "../../services/sessions";
import type * as routes from "./sessions.routes";

const toSessionBody = (session: SessionInfo, currentId: string) => ({
  id: session.id,
  created_at: session.createdAt.toISOString(),
  last_used_at: session.lastUsedAt.toISOString(),
  user_agent: session.userAgent,
  ip: session.ip,
  current: session.id === currentId,
});

/** A page of the user's sessions, with its total and links. */
async function sessionsPage(
  c: Context<TokenEnv>,
  userId: string,
  query: PageQuery,
  options?: { mustExist?: boolean },
) {
  const binding = sessionListBinding(userId);
  const secret = c.get("config").JWT_SECRET;
  const request = await pageRequest(secret, binding, query);
  const page = await listSessions(c.get("db"), c.get("claims"), userId, request, options);
  return c.json(
    page.rows.map((session) => toSessionBody(session, c.get("claims").sid)),
    200,
    { ...NO_STORE, ...(await pageHeaderValues(c.req.url, secret, binding, page)) },
  );
}

export const listMySessions: AppRouteHandler<typeof routes.listMySessions, TokenEnv> = (c) =>
  sessionsPage(c, c.get("claims").sub, c.req.valid("query"));

export const endMySession: AppRouteHandler<typeof routes.endMySession, TokenEnv> = async (c) => {
  const ended = await endSessionById(
    c.get("db"),
    c.get("claims"),
    c.req.valid("param").id,
    clientInfo(c),
  );
  if (!ended) throw problems.notFound("session");
  return c.body(null, 204);
};

export const listUserSessions: AppRouteHandler<typeof routes.listUserSessions, TokenEnv> = (c) =>
  sessionsPage(c, c.req.valid("param").id, c.req.valid("query"), { mustExist: true });

export const endUserSessions: AppRouteHandler<typeof routes.endUserSessions, TokenEnv> = async (
  c,
) => {
  await endAllSessions(c.get("db"), c.get("claims"), c.req.valid("param").id, {
    ...clientInfo(c),
    actorId: c.get("claims").sub,
  });
  return c.body(null, 204);
};
