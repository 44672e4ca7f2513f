import { createRouter } from "../../lib/openapi";
import * as handlers from "./mfa.handlers";
import * as routes from "./mfa.routes";

export const mfaRouter = createRouter()
  .openapi(routes.setupTotp, handlers.setupTotp)
  .openapi(routes.enableTotp, handlers.enableTotp)
  .openapi(routes.disableTotp, handlers.disableTotp)
  .openapi(routes.verifyMfa, handlers.verifyMfa)
  .openapi(routes.resetUserMfa, handlers.resetUserMfa);
