import type { Context } from "hono";
import type { securityEvents } from "../../db/schema";
import { NO_STORE } from "../../lib/error-handler";
import type { AppRouteHandler } from "../../lib/openapi";
import type { TokenEnv } from "../../middleware/auth";
import { type PageQuery, pageHeaderValues, pageRequest } from "../../schemas/pagination";
import { refusal } from "../../services/caller";
import {
  type EventFilter,
  type EventType,
  eventListBinding,
  listEvents as listEventsOf,
} from "../../services/events";
import type * as routes from "./events.routes";

type EventRow = typeof securityEvents.$inferSelect;

const toEventBody = (event: EventRow) => ({
  id: event.id,
  type: event.type as EventType,
  at: event.at.toISOString(),
  actor_id: event.actorId,
  ip: event.ip,
  user_agent: event.userAgent,
  detail: event.detail as Record<string, unknown>,
});

async function page(
  c: Context<TokenEnv>,
  query: PageQuery & { type?: EventType },
  userId: string | undefined,
) {
  const filter: EventFilter = { userId, type: query.type };
  const binding = eventListBinding(filter);
  const secret = c.get("config").JWT_SECRET;
  const request = await pageRequest(secret, binding, query);
  const page = await listEventsOf(c.get("db"), c.get("claims"), filter, request);
  return c.json(page.rows.map(toEventBody), 200, {
    ...NO_STORE,
    ...(await pageHeaderValues(c.req.url, secret, binding, page)),
  });
}

export const listUserEvents: AppRouteHandler<typeof routes.listUserEvents, TokenEnv> = async (
  c,
) => {
  const { id } = c.req.valid("param");
  const caller = c.get("claims");
  if (caller.role !== "ADMIN" && caller.sub !== id) {
    throw await refusal(c.get("db"), caller, "You may only read your own events.");
  }
  return page(c, c.req.valid("query"), id);
};

export const listEvents: AppRouteHandler<typeof routes.listEvents, TokenEnv> = (c) => {
  const query = c.req.valid("query");
  return page(c, query, query.user_id);
};
