import { clientInfo, clientIp } from "../../lib/client";
import { NO_STORE } from "../../lib/error-handler";
import { countLogin, failedLoginOutcome } from "../../lib/metrics";
import type { AppRouteHandler } from "../../lib/openapi";
import { ApiError } from "../../lib/problems";
import { noteUser } from "../../lib/request-context";
import type { AuthEnv, TokenEnv } from "../../middleware/auth";
import {
  finishLogin,
  finishRegistration,
  listPasskeys,
  type PasskeyInfo,
  removePasskey,
  renamePasskey,
  startLogin,
  startRegistration,
} from "../../services/passkeys";
import { enforceRateLimit } from "../../services/rate-limits";
import { startSession } from "../../services/sessions";
import { loginBody } from "../login-response";
import type * as routes from "./passkeys.routes";

const toPasskeyBody = (passkey: PasskeyInfo) => ({
  id: passkey.id,
  name: passkey.name,
  created_at: passkey.createdAt.toISOString(),
  last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
  backed_up: passkey.backedUp,
  device_type: passkey.deviceType as "single_device" | "multi_device",
  transports: passkey.transports,
});

export const registerOptions: AppRouteHandler<typeof routes.registerOptions, AuthEnv> = async (
  c,
) => {
  const body = c.req.valid("json") ?? {};
  const { challengeId, options } = await startRegistration(
    c.get("db"),
    c.get("config"),
    c.get("user"),
    c.get("claims").sid,
    body.current_password,
  );
  return c.json({ challenge_id: challengeId, options }, 200, NO_STORE);
};

export const registerVerify: AppRouteHandler<typeof routes.registerVerify, AuthEnv> = async (c) => {
  const body = c.req.valid("json");
  const passkey = await finishRegistration(
    c.get("db"),
    c.get("config"),
    c.get("user"),
    { challengeId: body.challenge_id, response: body.response, name: body.name },
    clientInfo(c),
  );
  return c.json(toPasskeyBody(passkey), 201, NO_STORE);
};

export const loginOptions: AppRouteHandler<typeof routes.loginOptions> = async (c) => {
  const { email } = c.req.valid("json") ?? {};
  await enforceRateLimit(c.env, "PASSKEY_LIMITER", { ip: clientIp(c), account: email });
  const { challengeId, options } = await startLogin(c.get("db"), c.get("config"), email);
  return c.json({ challenge_id: challengeId, options }, 200, NO_STORE);
};

export const loginVerify: AppRouteHandler<typeof routes.loginVerify> = async (c) => {
  const { challenge_id, response } = c.req.valid("json");
  const config = c.get("config");
  const db = c.get("db");
  try {
    // Per credential as well: assertions for one passkey sent from many addresses meet one limit.
    await enforceRateLimit(c.env, "PASSKEY_LIMITER", {
      ip: clientIp(c),
      account: `passkey:${response.id}`,
    });
    const { user, alongside } = await finishLogin(
      db,
      config,
      { challengeId: challenge_id, response },
      clientInfo(c),
    );
    noteUser(user.id);
    const tokens = await startSession(db, config, user, clientInfo(c), "passkey", alongside);
    await countLogin(config, "passkey", user.email);
    return c.json(loginBody(tokens, user), 200, NO_STORE);
  } catch (error) {
    // Counted as password logins are: a refusal is "failed" (no account is known for it).
    const outcome = failedLoginOutcome(error instanceof ApiError ? error.status : undefined);
    if (outcome) await countLogin(config, outcome);
    throw error;
  }
};

export const listMyPasskeys: AppRouteHandler<typeof routes.listMyPasskeys, TokenEnv> = async (
  c,
) => {
  const list = await listPasskeys(c.get("db"), c.get("claims"), c.get("claims").sub);
  return c.json(list.map(toPasskeyBody), 200, NO_STORE);
};

export const renameMyPasskey: AppRouteHandler<typeof routes.renameMyPasskey, TokenEnv> = async (
  c,
) => {
  const passkey = await renamePasskey(
    c.get("db"),
    c.get("claims"),
    c.req.valid("param").id,
    c.req.valid("json").name,
  );
  return c.json(toPasskeyBody(passkey), 200, NO_STORE);
};

export const removeMyPasskey: AppRouteHandler<typeof routes.removeMyPasskey, TokenEnv> = async (
  c,
) => {
  const claims = c.get("claims");
  await removePasskey(
    c.get("db"),
    claims,
    { userId: claims.sub, passkeyId: c.req.valid("param").id },
    clientInfo(c),
  );
  return c.body(null, 204);
};

export const listUserPasskeys: AppRouteHandler<typeof routes.listUserPasskeys, TokenEnv> = async (
  c,
) => {
  const list = await listPasskeys(c.get("db"), c.get("claims"), c.req.valid("param").id, {
    mustExist: true,
  });
  return c.json(list.map(toPasskeyBody), 200, NO_STORE);
};

export const removeUserPasskey: AppRouteHandler<typeof routes.removeUserPasskey, TokenEnv> = async (
  c,
) => {
  const { id, passkey_id } = c.req.valid("param");
  await removePasskey(
    c.get("db"),
    c.get("claims"),
    { userId: id, passkeyId: passkey_id },
    { ...clientInfo(c), actorId: c.get("claims").sub },
  );
  return c.body(null, 204);
};
