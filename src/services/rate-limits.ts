import type { Bindings } from "../env";
import { problems } from "../lib/problems";

type LimiterName =
  | "LOGIN_LIMITER"
  | "REGISTER_LIMITER"
  | "FORGOT_PASSWORD_LIMITER"
  | "RESET_PASSWORD_LIMITER";

/** The window of every limiter in wrangler.toml, hence the Retry-After. */
const WINDOW_SECONDS = 60;

/**
 * Counts the request against the client's IP and, when the request names an account, against
 * that account too (so a botnet cannot spread guesses at one account over many IPs). Callers run
 * it before any password hashing.
 */
export async function enforceRateLimit(
  env: Bindings,
  name: LimiterName,
  client: { ip: string | undefined; account?: string },
): Promise<void> {
  const limiter = env[name];
  if (!limiter) return;
  const keys = [
    `ip:${client.ip ?? "unknown"}`,
    ...(client.account ? [`account:${client.account.toLowerCase()}`] : []),
  ];
  const outcomes = await Promise.all(keys.map((key) => limiter.limit({ key })));
  if (outcomes.some((outcome) => !outcome.success)) throw problems.rateLimited(WINDOW_SECONDS);
}
