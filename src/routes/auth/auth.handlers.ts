import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { inBackground } from "../../lib/background";
import { clientBucket, clientInfo, clientIp } from "../../lib/client";
import { NO_STORE } from "../../lib/error-handler";
import { sendMail } from "../../lib/mail";
import { countLogin, failedLoginOutcome, writeMetric } from "../../lib/metrics";
import type { AppRouteHandler } from "../../lib/openapi";
import { ApiError } from "../../lib/problems";
import { noteUser } from "../../lib/request-context";
import type { AuthEnv, TokenEnv } from "../../middleware/auth";
import { toPublicUser } from "../../schemas/user";
import { reissueVerification, verifyEmailWithToken } from "../../services/email-verification";
import { startMfaLogin } from "../../services/mfa";
import { requestPasswordReset, resetPasswordWithToken } from "../../services/password-resets";
import { enforceRateLimit } from "../../services/rate-limits";
import { endAllSessions, endSession, rotateSession, startSession } from "../../services/sessions";
import { changeOwnPassword, checkCredentials, registerUser } from "../../services/users";
import { loginBody, tokenBody } from "../login-response";
import { mailVerificationLink } from "../verification-mail";
import type * as routes from "./auth.routes";

/** The client as the rate limits see it: its IP and, when the request names one, the account. */
const client = (c: Context, account?: string) => ({ ip: clientIp(c), account });

export const register: AppRouteHandler<typeof routes.register> = async (c) => {
  const body = c.req.valid("json");
  await enforceRateLimit(c.env, "REGISTER_LIMITER", client(c, body.email));
  const user = await registerUser(
    c.get("db"),
    c.get("config"),
    {
      username: body.username,
      email: body.email,
      firstName: body.first_name,
      lastName: body.last_name,
      password: body.password,
      adminKey: body.secret_admin_key,
      client: clientBucket(clientIp(c)),
    },
    clientInfo(c),
  );
  noteUser(user.id);
  writeMetric("register");
  mailVerificationLink(c, user.id);
  return c.json(
    { message: "User registered successfully" as const, user: toPublicUser(user) },
    201,
    { ...NO_STORE, Location: `/users/${user.id}` },
  );
};

export const login: AppRouteHandler<typeof routes.login> = async (c) => {
  const { email, password } = c.req.valid("json");
  try {
    return await logIn(c, email, password);
  } catch (error) {
    const outcome = failedLoginOutcome(error instanceof ApiError ? error.status : undefined);
    if (outcome) await countLogin(c.get("config"), outcome, email);
    throw error;
  }
};

async function logIn(c: Context<AppEnv>, email: string, password: string) {
  const config = c.get("config");
  const db = c.get("db");
  await enforceRateLimit(c.env, "LOGIN_LIMITER", client(c, email));
  const { user, release, upgrade } = await checkCredentials(
    db,
    config,
    { email, password },
    clientInfo(c),
  );
  noteUser(user.id);
  if (upgrade) inBackground(c, "password_rehash_failed", upgrade);
  if (user.mfaEnabled) {
    // The password was right; the session waits for the second factor (POST /auth/mfa/verify).
    await db.execute(release);
    const mfa = await startMfaLogin(config, user);
    await countLogin(config, "mfa_required", email);
    return c.json(
      { mfa_required: true as const, mfa_token: mfa.token, expires_in: mfa.expiresIn },
      200,
      NO_STORE,
    );
  }
  const tokens = await startSession(db, config, user, clientInfo(c), "password", release);
  await countLogin(config, "succeeded", email);
  return c.json(loginBody(tokens, user), 200, NO_STORE);
}

export const refresh: AppRouteHandler<typeof routes.refresh> = async (c) => {
  const { refresh_token } = c.req.valid("json");
  const tokens = await rotateSession(c.get("db"), c.get("config"), refresh_token, clientInfo(c));
  return c.json(tokenBody(tokens), 200, NO_STORE);
};

export const logout: AppRouteHandler<typeof routes.logout, TokenEnv> = async (c) => {
  const { scope } = c.req.valid("query");
  const body = c.req.valid("json") ?? {};
  const db = c.get("db");
  const claims = c.get("claims");
  if (scope === "global") {
    await endAllSessions(db, claims, claims.sub, clientInfo(c));
  } else {
    await endSession(db, claims, { refreshToken: body.refresh_token }, clientInfo(c));
  }
  return c.body(null, 204);
};

export const forgotPassword: AppRouteHandler<typeof routes.forgotPassword> = async (c) => {
  const { email } = c.req.valid("json");
  const config = c.get("config");
  const db = c.get("db");
  await enforceRateLimit(c.env, "FORGOT_PASSWORD_LIMITER", client(c, email));
  writeMetric("reset_requested");
  // Every per-account step runs after the answer, so its time tells nothing about the account.
  const info = clientInfo(c);
  inBackground(c, "password_reset_failed", async () => {
    const message = await requestPasswordReset(db, config, email, info);
    if (message) await sendMail(config, message, { requestId: c.get("requestId") });
  });
  return c.json(
    {
      message:
        "If an account exists for that email, a password reset email has been sent." as const,
    },
    202,
  );
};

export const resetPassword: AppRouteHandler<typeof routes.resetPassword> = async (c) => {
  const body = c.req.valid("json");
  await enforceRateLimit(c.env, "RESET_PASSWORD_LIMITER", client(c, body.email));
  await resetPasswordWithToken(
    c.get("db"),
    c.get("config"),
    {
      token: body.reset_token,
      newPassword: body.new_password,
      email: body.email,
    },
    clientInfo(c),
  );
  writeMetric("reset_completed");
  return c.json({ message: "Password reset successfully" }, 200);
};

export const changePassword: AppRouteHandler<typeof routes.changePassword, AuthEnv> = async (c) => {
  const { current_password, new_password } = c.req.valid("json");
  const config = c.get("config");
  const db = c.get("db");
  const user = c.get("user");
  await enforceRateLimit(c.env, "CHANGE_PASSWORD_LIMITER", client(c, user.id));
  const changed = await changeOwnPassword(
    db,
    config,
    user,
    {
      current: current_password,
      next: new_password,
    },
    clientInfo(c),
  );
  // The caller's own session goes on in a new one; it is no login of its own.
  const tokens = await startSession(db, config, changed, clientInfo(c), undefined);
  return c.json(
    { message: "Password changed successfully" as const, ...tokenBody(tokens) },
    200,
    NO_STORE,
  );
};

export const verifyEmail: AppRouteHandler<typeof routes.verifyEmail> = async (c) => {
  const { token } = c.req.valid("json");
  await enforceRateLimit(c.env, "VERIFY_EMAIL_LIMITER", client(c));
  const user = await verifyEmailWithToken(c.get("db"), token, clientInfo(c));
  return c.json(
    { message: "Email verified successfully" as const, user: toPublicUser(user) },
    200,
    NO_STORE,
  );
};

export const resendVerification: AppRouteHandler<
  typeof routes.resendVerification,
  AuthEnv
> = async (c) => {
  const config = c.get("config");
  const db = c.get("db");
  const user = c.get("user");
  await enforceRateLimit(c.env, "VERIFY_EMAIL_LIMITER", client(c, user.id));
  const message = await reissueVerification(db, config, user);
  inBackground(c, "verification_mail_failed", () =>
    sendMail(config, message, { requestId: c.get("requestId") }),
  );
  return c.json({ message: "A verification email has been sent to your address." as const }, 202);
};
