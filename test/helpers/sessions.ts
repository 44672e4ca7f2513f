// The two ways a client proves a session (an access token on GET /users/me, a refresh token on
// POST /auth/refresh), and assertions that a session is alive or over.
import { expect } from "vitest";
import { type CallResult, call, expectProblem } from "./worker";

/** GET /users/me with an access token, or with `{ authorization }` sent as the header verbatim. */
export function me(token: string | { authorization: string }, env?: Record<string, unknown>) {
  return typeof token === "string"
    ? call("/users/me", { token, env })
    : call("/users/me", { headers: { Authorization: token.authorization }, env });
}

export function refresh(refreshToken: string) {
  return call("/auth/refresh", { body: { refresh_token: refreshToken } });
}

/** POST /auth/logout; `scope: "global"` ends every session of the user. */
export function logout(token: string, options: { scope?: string; body?: unknown } = {}) {
  const query = options.scope === undefined ? "" : `?scope=${options.scope}`;
  return call(`/auth/logout${query}`, { method: "POST", body: options.body, token });
}

export function changePassword(token: string, current: string, next: string) {
  return call("/auth/change-password", {
    body: { current_password: current, new_password: next },
    token,
  });
}

export function expectBearerChallenge(res: CallResult) {
  expect(res.status, res.text).toBe(401);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
}

export async function expectDeadAccess(token: string) {
  const res = await me(token);
  expectProblem(res, 401, "invalid_token");
  expectBearerChallenge(res);
}

export async function expectDeadRefresh(refreshToken: string) {
  const res = await refresh(refreshToken);
  expectProblem(res, 401, "invalid_refresh_token");
  expectBearerChallenge(res);
}

/** Asserts both tokens still work, and returns the session the refresh rotated them into. */
export async function expectLiveSession(session: { token: string; refreshToken: string }) {
  const access = await me(session.token);
  expect(access.status, access.text).toBe(200);
  const next = await refresh(session.refreshToken);
  expect(next.status, next.text).toBe(200);
  return { token: next.json.access_token as string, refreshToken: next.json.refresh_token };
}
