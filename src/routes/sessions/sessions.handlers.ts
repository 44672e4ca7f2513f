import { clientInfo } from "../../lib/client";
import { NO_STORE } from "../../lib/error-handler";
import type { AppRouteHandler } from "../../lib/openapi";
import { problems } from "../../lib/problems";
import type { TokenEnv } from "../../middleware/auth";
import {
  endAllSessions,
  endSessionById,
  listSessions,
  type SessionInfo,
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

export const listMySessions: AppRouteHandler<typeof routes.listMySessions, TokenEnv> = async (
  c,
) => {
  const sessions = await listSessions(c.var.db, c.var.claims, c.var.claims.sub);
  return c.json(
    sessions.map((session) => toSessionBody(session, c.var.claims.sid)),
    200,
    NO_STORE,
  );
};

export const endMySession: AppRouteHandler<typeof routes.endMySession, TokenEnv> = async (c) => {
  const ended = await endSessionById(
    c.var.db,
    c.var.claims,
    c.req.valid("param").id,
    clientInfo(c),
  );
  if (!ended) throw problems.notFound("session");
  return c.body(null, 204);
};

export const listUserSessions: AppRouteHandler<typeof routes.listUserSessions, TokenEnv> = async (
  c,
) => {
  const { id } = c.req.valid("param");
  const sessions = await listSessions(c.var.db, c.var.claims, id, { mustExist: true });
  return c.json(
    sessions.map((session) => toSessionBody(session, c.var.claims.sid)),
    200,
    NO_STORE,
  );
};

export const endUserSessions: AppRouteHandler<typeof routes.endUserSessions, TokenEnv> = async (
  c,
) => {
  await endAllSessions(c.var.db, c.var.claims, c.req.valid("param").id, {
    ...clientInfo(c),
    actorId: c.var.claims.sub,
  });
  return c.body(null, 204);
};
