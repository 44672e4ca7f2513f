import type { Context } from "hono";
import type { AppEnv, Bindings } from "../env";
import { ApiError } from "../lib/problem";

type LimiterName =
  | "LOGIN_LIMITER"
  | "REGISTER_LIMITER"
  | "FORGOT_PASSWORD_LIMITER"
  | "RESET_PASSWORD_LIMITER";

/**
 * Counts the request against the client's IP and, when the request names an account, against
 * that account too (so a botnet cannot spread guesses at one account over many IPs). Runs before
 * any password hashing. The windows are wrangler.toml's (60 s), hence Retry-After.
 */
export async function enforceRateLimit(
  c: Context<AppEnv>,
  name: LimiterName,
  account?: string,
): Promise<void> {
  const limiter = (c.env as Bindings)[name];
  if (!limiter) return;
  const ip = c.req.header("CF-Connecting-IP") ?? "unknown";
  const keys = [`ip:${ip}`, ...(account ? [`account:${account.toLowerCase()}`] : [])];
  const outcomes = await Promise.all(keys.map((key) => limiter.limit({ key })));
  if (outcomes.some((outcome) => !outcome.success)) {
    throw new ApiError(429, "rate_limited", "Too many requests; try again later.", {
      headers: { "Retry-After": "60" },
    });
  }
}
