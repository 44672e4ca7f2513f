import type { RouteHandler } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { users } from "../../db/schema";
import type { AppEnv } from "../../env";
import { constantTimeEqual } from "../../lib/crypto";
import { passwordResetMessage, sendMail } from "../../lib/mail";
import {
  assertAcceptablePassword,
  decoyHash,
  hashPassword,
  needsRehash,
  verifyPassword,
} from "../../lib/password";
import { ApiError, NO_STORE } from "../../lib/problem";
import type { AuthEnv } from "../../middleware/auth";
import { enforceRateLimit } from "../../middleware/rate-limit";
import {
  createResetToken,
  findResetTokenUser,
  spendResetToken,
} from "../../services/password-resets";
import { endAllSessions, endSession, rotateSession, startSession } from "../../services/sessions";
import { changePasswordOf, createUser, findUserByEmail } from "../../services/users";
import { toPublicUser } from "../users/users.schemas";
import type {
  changePassword,
  forgotPassword,
  login,
  logout,
  refresh,
  register,
  resetPassword,
} from "./auth.routes";

const emailName = (email: string) => email.split("@")[0] ?? "";

export const registerHandler: RouteHandler<typeof register, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const { config, db } = c.var;
  await enforceRateLimit(c, "REGISTER_LIMITER", body.email);
  let role: "ADMIN" | "USER" = "USER";
  if (body.secret_admin_key !== undefined) {
    const key = config.SECRET_ADMIN_KEY;
    if (!key || !(await constantTimeEqual(body.secret_admin_key, key))) {
      throw new ApiError(403, "invalid_admin_key", "The admin key is not valid.");
    }
    role = "ADMIN";
  }
  assertAcceptablePassword(body.password, "password", [body.username, emailName(body.email)]);
  const user = await createUser(db, {
    username: body.username,
    email: body.email,
    firstName: body.first_name,
    lastName: body.last_name,
    passwordHash: await hashPassword(body.password, config.BCRYPT_COST),
    role,
  });
  return c.json(
    { message: "User registered successfully" as const, user: toPublicUser(user) },
    201,
    {
      ...NO_STORE,
      Location: `/users/${user.id}`,
    },
  );
};

export const loginHandler: RouteHandler<typeof login, AppEnv> = async (c) => {
  const { email, password } = c.req.valid("json");
  const { config, db } = c.var;
  await enforceRateLimit(c, "LOGIN_LIMITER", email);
  const user = await findUserByEmail(db, email);
  // Unknown emails pay for one comparison too, so timing does not tell which accounts exist.
  const matches = await verifyPassword(
    password,
    user?.passwordHash ?? decoyHash(config.BCRYPT_COST),
  );
  if (!user || !matches || !user.active) {
    throw new ApiError(401, "invalid_credentials", "The email or password is incorrect.", {
      headers: { "WWW-Authenticate": 'Bearer realm="user-management-api"' },
    });
  }
  if (needsRehash(user.passwordHash, config.BCRYPT_COST)) {
    const upgraded = await hashPassword(password, config.BCRYPT_COST);
    c.executionCtx.waitUntil(
      db
        .update(users)
        .set({ passwordHash: upgraded })
        .where(sql`${users.id} = ${user.id} and ${users.passwordHash} = ${user.passwordHash}`)
        .then(() => undefined),
    );
  }
  const tokens = await startSession(db, config, user);
  return c.json({ ...tokens, user: toPublicUser(user) }, 200, NO_STORE);
};

export const refreshHandler: RouteHandler<typeof refresh, AppEnv> = async (c) => {
  const { refresh_token } = c.req.valid("json");
  const tokens = await rotateSession(c.var.db, c.var.config, refresh_token);
  return c.json(tokens, 200, NO_STORE);
};

export const logoutHandler: RouteHandler<typeof logout, AuthEnv> = async (c) => {
  const { scope } = c.req.valid("query");
  const body = c.req.valid("json") ?? {};
  const { db, user, claims } = c.var;
  if (scope === "global") {
    await endAllSessions(db, user.id);
  } else {
    await endSession(db, user.id, { refreshToken: body.refresh_token, familyId: claims.sid });
  }
  return c.body(null, 204);
};

const forgotMessage =
  "If an account exists for that email, a password reset email has been sent." as const;

export const forgotPasswordHandler: RouteHandler<typeof forgotPassword, AppEnv> = async (c) => {
  const { email } = c.req.valid("json");
  const { config, db } = c.var;
  await enforceRateLimit(c, "FORGOT_PASSWORD_LIMITER", email);
  const issued = await createResetToken(db, config, email);
  if (issued) {
    c.executionCtx.waitUntil(sendMail(config, passwordResetMessage(config, issued, issued.token)));
  }
  return c.json({ message: forgotMessage }, 202);
};

export const resetPasswordHandler: RouteHandler<typeof resetPassword, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const { config, db } = c.var;
  await enforceRateLimit(c, "RESET_PASSWORD_LIMITER", body.email);
  const user = await findResetTokenUser(db, body.reset_token, body.email);
  assertAcceptablePassword(body.new_password, "new_password", [
    user.username,
    emailName(user.email),
  ]);
  const hash = await hashPassword(body.new_password, config.BCRYPT_COST);
  await spendResetToken(db, body.reset_token, user.id, hash);
  return c.json({ message: "Password reset successfully" }, 200);
};

export const changePasswordHandler: RouteHandler<typeof changePassword, AuthEnv> = async (c) => {
  const { current_password, new_password } = c.req.valid("json");
  const { config, db, user } = c.var;
  if (!(await verifyPassword(current_password, user.passwordHash))) {
    throw new ApiError(400, "invalid_current_password", "The current password is incorrect.", {
      errors: [{ path: "current_password", message: "is incorrect" }],
    });
  }
  assertAcceptablePassword(new_password, "new_password", [user.username, emailName(user.email)]);
  const changed = await changePasswordOf(
    db,
    user,
    await hashPassword(new_password, config.BCRYPT_COST),
  );
  const tokens = await startSession(db, config, changed);
  return c.json({ message: "Password changed successfully" as const, ...tokens }, 200, NO_STORE);
};
