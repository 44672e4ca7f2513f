import { createRouter } from "../../lib/openapi";
import {
  changePasswordHandler,
  forgotPasswordHandler,
  loginHandler,
  logoutHandler,
  refreshHandler,
  registerHandler,
  resetPasswordHandler,
} from "./auth.handlers";
import {
  changePassword,
  forgotPassword,
  login,
  logout,
  refresh,
  register,
  resetPassword,
} from "./auth.routes";

export const authRouter = createRouter()
  .openapi(register, registerHandler)
  .openapi(login, loginHandler)
  .openapi(refresh, refreshHandler)
  .openapi(logout, logoutHandler)
  .openapi(forgotPassword, forgotPasswordHandler)
  .openapi(resetPassword, resetPasswordHandler)
  .openapi(changePassword, changePasswordHandler);
