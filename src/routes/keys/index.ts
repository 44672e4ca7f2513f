import { createRouter } from "../../lib/openapi";
import * as handlers from "./keys.handlers";
import * as routes from "./keys.routes";

export const keysRouter = createRouter()
  .openapi(routes.jwks, handlers.jwks)
  .openapi(routes.introspect, handlers.introspect);
