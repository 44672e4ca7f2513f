import { createRouter } from "../../lib/openapi";
import {
  deleteUserHandler,
  getMeHandler,
  getUserHandler,
  listUsersHandler,
  patchUserHandler,
  putUserHandler,
  updateMeHandler,
} from "./users.handlers";
import {
  deleteUser,
  getMe,
  getUser,
  listUsers,
  patchUser,
  putUser,
  updateMe,
} from "./users.routes";

// /users/me before /users/{id}, so "me" is never read as an id.
export const usersRouter = createRouter()
  .openapi(listUsers, listUsersHandler)
  .openapi(getMe, getMeHandler)
  .openapi(updateMe, updateMeHandler)
  .openapi(getUser, getUserHandler)
  .openapi(putUser, putUserHandler)
  .openapi(patchUser, patchUserHandler)
  .openapi(deleteUser, deleteUserHandler);
