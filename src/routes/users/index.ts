import { createRouter } from "../../lib/openapi";
import * as handlers from "./users.handlers";
import * as routes from "./users.routes";
import { ImportUserSchema } from "./users.schemas";

// /users/me before /users/{id}, so "me" is never read as an id.
export const usersRouter = createRouter()
  .openapi(routes.listUsers, handlers.listUsers)
  .openapi(routes.getMe, handlers.getMe)
  .openapi(routes.updateMe, handlers.updateMe)
  .openapi(routes.getUser, handlers.getUser)
  .openapi(routes.putUser, handlers.putUser)
  .openapi(routes.patchUser, handlers.patchUser)
  .openapi(routes.deleteUser, handlers.deleteUser)
  .openapi(routes.importUsers, handlers.importUsers);

// The items of an import are checked one by one in the handler (each gets its own result), so
// the request schema takes any item and names this one by reference: it must be published.
usersRouter.openAPIRegistry.register("ImportUser", ImportUserSchema);
