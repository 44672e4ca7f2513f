import { createRouter } from "../../lib/openapi";
import * as handlers from "./passkeys.handlers";
import * as routes from "./passkeys.routes";

export const passkeysRouter = createRouter()
  .openapi(routes.registerOptions, handlers.registerOptions)
  .openapi(routes.registerVerify, handlers.registerVerify)
  .openapi(routes.loginOptions, handlers.loginOptions)
  .openapi(routes.loginVerify, handlers.loginVerify)
  .openapi(routes.listMyPasskeys, handlers.listMyPasskeys)
  .openapi(routes.renameMyPasskey, handlers.renameMyPasskey)
  .openapi(routes.removeMyPasskey, handlers.removeMyPasskey)
  .openapi(routes.listUserPasskeys, handlers.listUserPasskeys)
  .openapi(routes.removeUserPasskey, handlers.removeUserPasskey);
