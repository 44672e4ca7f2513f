import { createRouter } from "../../lib/openapi";
import * as handlers from "./sessions.handlers";
import * as routes from "./sessions.routes";

export const sessionsRouter = createRouter()
  .openapi(routes.listMySessions, handlers.listMySessions)
  .openapi(routes.endMySession, handlers.endMySession)
  .openapi(routes.listUserSessions, handlers.listUserSessions)
  .openapi(routes.endUserSessions, handlers.endUserSessions);
