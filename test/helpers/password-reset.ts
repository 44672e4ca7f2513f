// The password reset flow through the API: ask for the email, read the token from it, use it.
import { expect } from "vitest";
import { NEW_PASSWORD, resetTokenFor } from "./factories";
import { type CallResult, call, expectProblem } from "./worker";

export function forgot(email: string, env?: Record<string, unknown>) {
  return call("/auth/forgot-password", { body: { email }, env });
}

/** POST /auth/reset-password with the token, a new password and any other fields. */
export function reset(
  resetToken: unknown,
  newPassword: unknown = NEW_PASSWORD,
  other: Record<string, unknown> = {},
) {
  return call("/auth/reset-password", {
    body: { reset_token: resetToken, new_password: newPassword, ...other },
  });
}

/** Asks for a reset email and returns the token it carries, with the 202 answer. */
export async function mailedToken(email: string): Promise<{ token: string; accepted: CallResult }> {
  const accepted = await forgot(email);
  expect(accepted.status, accepted.text).toBe(202);
  return { token: await resetTokenFor(email), accepted };
}

export function expectInvalidToken(res: CallResult) {
  expectProblem(res, 400, "invalid_or_expired_token");
}
