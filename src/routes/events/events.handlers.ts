import type { Context } from "hono";
import type { securityEvents } from "../../db/schema";
import { NO_STORE } from "../../lib/error-handler";
import type { AppRouteHandler } from "../../lib/openapi";
import { problems } from "../../lib/problems";
import type { AuthEnv } from "../../middleware/auth";
import { pageHeaderValues } from "../../schemas/pagination";
import {
  type EventFilter,
  type EventType,
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
  c: Context<AuthEnv>,
  query: { page: number; per_page: number; type?: EventType },
  userId: string | undefined,
) {
  const filter: EventFilter = {
    userId,
    type: query.type,
    page: query.page,
    perPage: query.per_page,
  };
  const { events, total } = await listEventsOf(c.var.db, filter);
  return c.json(events.map(toEventBody), 200, {
    ...NO_STORE,
    ...pageHeaderValues(c, query, total),
  });
}

export const listUserEvents: AppRouteHandler<typeof routes.listUserEvents, AuthEnv> = (c) => {
  const { id } = c.req.valid("param");
  if (c.var.user.role !== "ADMIN" && c.var.user.id !== id) {
    throw problems.forbidden("You may only read your own events.");
  }
  return page(c, c.req.valid("query"), id);
};

export const listEvents: AppRouteHandler<typeof routes.listEvents, AuthEnv> = (c) => {
  const query = c.req.valid("query");
  return page(c, query, query.user_id);
};
