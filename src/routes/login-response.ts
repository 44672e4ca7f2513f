// What every way of logging in answers (password, password and second factor, passkey), and what
// a refresh or a password change answers of it: one shape, built in one place.
import type { UserRow } from "../db/schema";
import { toPublicUser } from "../schemas/user";
import type { SessionTokens } from "../services/sessions";

/** The tokens of a new or continued session. */
export const tokenBody = (tokens: SessionTokens) => ({
  access_token: tokens.accessToken,
  token_type: "Bearer" as const,
  expires_in: tokens.expiresIn,
  refresh_token: tokens.refreshToken,
});

/** The answer of a completed login: the session's tokens and the user. */
export const loginBody = (tokens: SessionTokens, user: UserRow) => ({
  ...tokenBody(tokens),
  user: toPublicUser(user),
});
