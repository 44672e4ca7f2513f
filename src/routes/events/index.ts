import { createRouter } from "../../lib/openapi";
import * as handlers from "./events.handlers";
import * as routes from "./events.routes";

export const eventsRouter = createRouter()
  .openapi(routes.listUserEvents, handlers.listUserEvents)
  .openapi(routes.listEvents, handlers.listEvents);
