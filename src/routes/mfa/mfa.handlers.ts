import { clientInfo, clientIp } from "../../lib/client";
import { NO_STORE } from "../../lib/error-handler";
import { countLogin } from "../../lib/metrics";
import type { AppRouteHandler } from "../../lib/openapi";
import { qrCodeDataUri } from "../../lib/qr";
import { noteUser } from "../../lib/request-context";
import { verifyMfaToken } from "../../lib/tokens";
import type { AuthEnv } from "../../middleware/auth";
import { toPublicUser } from "../../schemas/user";
import {
  completeMfaLogin,
  disableTotp as disable,
  enableTotp as enable,
  resetMfa,
  type SecondFactor,
  setupTotp as setup,
} from "../../services/mfa";
import { enforceRateLimit } from "../../services/rate-limits";
import { startSession } from "../../services/sessions";
import { loginBody } from "../login-response";
import type * as routes from "./mfa.routes";

/** The factor of a body the schema let through (exactly one of the two). */
const factorOf = (body: { code?: string; recovery_code?: string }): SecondFactor =>
  body.code !== undefined ? { code: body.code } : { recoveryCode: body.recovery_code ?? "" };

export const setupTotp: AppRouteHandler<typeof routes.setupTotp, AuthEnv> = async (c) => {
  const { current_password } = c.req.valid("json");
  const { secret, otpauthUrl } = await setup(
    c.get("db"),
    c.get("config"),
    c.get("user"),
    current_password,
  );
  return c.json(
    { secret, otpauth_url: otpauthUrl, qr_code: qrCodeDataUri(otpauthUrl) },
    200,
    NO_STORE,
  );
};

export const enableTotp: AppRouteHandler<typeof routes.enableTotp, AuthEnv> = async (c) => {
  const { code } = c.req.valid("json");
  const { user, recoveryCodes } = await enable(
    c.get("db"),
    c.get("config"),
    c.get("user"),
    c.get("claims").sid,
    code,
    clientInfo(c),
  );
  return c.json({ recovery_codes: recoveryCodes, user: toPublicUser(user) }, 200, NO_STORE);
};

export const disableTotp: AppRouteHandler<typeof routes.disableTotp, AuthEnv> = async (c) => {
  const body = c.req.valid("json");
  const user = await disable(
    c.get("db"),
    c.get("config"),
    c.get("user"),
    { currentPassword: body.current_password, factor: factorOf(body) },
    clientInfo(c),
  );
  return c.json(
    { message: "Two-factor login disabled" as const, user: toPublicUser(user) },
    200,
    NO_STORE,
  );
};

export const verifyMfa: AppRouteHandler<typeof routes.verifyMfa> = async (c) => {
  const body = c.req.valid("json");
  const config = c.get("config");
  const db = c.get("db");
  await enforceRateLimit(c.env, "MFA_LIMITER", { ip: clientIp(c) });
  const claims = await verifyMfaToken(body.mfa_token, config.JWT_SECRET);
  // Per account as well: codes for one account sent from many addresses meet one limit.
  await enforceRateLimit(c.env, "MFA_LIMITER", { ip: undefined, account: claims.sub });
  const { user, recoveryCodesLeft } = await completeMfaLogin(
    db,
    config,
    claims,
    factorOf(body),
    clientInfo(c),
  );
  const tokens = await startSession(db, config, user, clientInfo(c), "password+totp");
  noteUser(user.id);
  // The second step of a login that answered mfa_required: it succeeded now.
  await countLogin(config, "succeeded");
  return c.json(
    {
      ...loginBody(tokens, user),
      ...(recoveryCodesLeft === undefined ? {} : { recovery_codes_left: recoveryCodesLeft }),
    },
    200,
    NO_STORE,
  );
};

export const resetUserMfa: AppRouteHandler<typeof routes.resetUserMfa, AuthEnv> = async (c) => {
  await resetMfa(c.get("db"), c.req.valid("param").id, {
    ...clientInfo(c),
    actorId: c.get("user").id,
  });
  return c.body(null, 204);
};
