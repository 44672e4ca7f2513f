// RFC 7662 introspection, for resource servers that need revocation at once rather than when an
// access token expires.
import type { Db } from "../db/client";
import type { Config } from "../env";
import { ApiError } from "../lib/problems";
import { type AccessClaims, verifyAccessToken } from "../lib/tokens";
import { authenticate } from "./caller";

/**
 * The claims of an access token that verifies and whose caller is live by the rule of every
 * authenticated request (one query), or undefined, whatever the reason.
 */
export async function introspectToken(
  db: Db,
  config: Config,
  token: string,
): Promise<AccessClaims | undefined> {
  try {
    const claims = await verifyAccessToken(token, config);
    await authenticate(db, claims);
    return claims;
  } catch (error) {
    if (error instanceof ApiError && error.code === "invalid_token") return undefined;
    throw error;
  }
}
