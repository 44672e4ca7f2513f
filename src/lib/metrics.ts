import type { Config } from "../env";
import { pseudonym } from "./pseudonym";
import { currentStats, type RequestStats } from "./request-context";

/**
 * Auth metrics in Workers Analytics Engine (the METRICS binding of wrangler.toml): one data point
 * per event, in one dataset. The layout, which the README's queries read:
 *
 * | field   | meaning                                                                        |
 * |---------|--------------------------------------------------------------------------------|
 * | index1  | the event: login, register, reset_requested, reset_completed, refresh_reuse,   |
 * |         | rate_limited, request (Analytics Engine samples per index: rare auth events    |
 * |         | are never drowned by the request points)                                       |
 * | blob1   | login: the outcome (LoginOutcome); rate_limited: the limiter or account guard  |
 * | blob2   | request: the route pattern (`/users/{id}`, `unmatched`)                        |
 * | blob3   | request: the problem code of an error answer                                   |
 * | blob4   | the Cloudflare colo                                                            |
 * | blob5   | the client's country                                                           |
 * | blob6   | login: the account, a keyed hash of the email (lib/pseudonym.ts)               |
 * | double1 | 1 (the event itself; SUM(_sample_interval) counts events)                      |
 * | double2 | request: the status                                                            |
 * | double3 | request: the duration in ms                                                    |
 * | double4 | request: database round trips                                                  |
 * | double5 | request: database time in ms                                                   |
 *
 * No email, IP, token or raw path ever goes in. Writing never fails a request: a missing binding
 * turns metrics off (said once per isolate in the log), and a throwing write is swallowed.
 */
export type MetricEvent =
  | "login"
  | "register"
  | "reset_requested"
  | "reset_completed"
  | "refresh_reuse"
  | "rate_limited"
  | "request";

/**
 * How a login attempt ended. `passkey` is a login completed with a passkey (WebAuthn), counted
 * by that login's handler; `locked` is the per-account guard (counted in Postgres) refusing,
 * `rate_limited` the per-IP limiter binding.
 */
export type LoginOutcome =
  | "succeeded"
  | "failed"
  | "locked"
  | "rate_limited"
  | "mfa_required"
  | "passkey";

type Point = {
  detail?: string;
  route?: string;
  code?: string;
  account?: string;
  status?: number;
  durationMs?: number;
  dbTrips?: number;
  dbMs?: number;
};

let disabledNoted = false;

/** Says once per isolate that there is no METRICS binding, so no metric is written. */
export function noteMetricsOff(): void {
  if (disabledNoted) return;
  disabledNoted = true;
  console.log(
    JSON.stringify({
      level: "warn",
      event: "metrics_disabled",
      reason: "no METRICS binding ([[analytics_engine_datasets]] in wrangler.toml)",
    }),
  );
}

/** Writes one data point for the (current) request, if metrics are on; never throws. */
export function writeMetric(
  event: MetricEvent,
  point: Point = {},
  stats: RequestStats | undefined = currentStats(),
): void {
  if (!stats) return;
  const dataset = stats.metrics;
  if (!dataset) {
    noteMetricsOff();
    return;
  }
  try {
    dataset.writeDataPoint({
      indexes: [event],
      blobs: [
        point.detail ?? "",
        point.route ?? "",
        point.code ?? "",
        stats.colo ?? "",
        stats.country ?? "",
        point.account ?? "",
      ],
      doubles: [1, point.status ?? 0, point.durationMs ?? 0, point.dbTrips ?? 0, point.dbMs ?? 0],
    });
  } catch {
    // A metric is never worth a failed request.
  }
}

/** A login attempt's outcome, with the account it named (as a keyed hash) when it named one. */
export async function countLogin(
  config: Pick<Config, "JWT_SECRET">,
  outcome: LoginOutcome,
  email?: string,
): Promise<void> {
  if (!currentStats()?.metrics) {
    writeMetric("login", { detail: outcome });
    return;
  }
  const account = email ? await pseudonym(config.JWT_SECRET, "email", email) : undefined;
  writeMetric("login", { detail: outcome, account });
}

/**
 * A 429: which limiter (a Workers Rate Limiting binding) or account guard (a Postgres counter,
 * services/rate-limits.ts) refused. Also noted on the request, so a login can tell "locked" from
 * "rate_limited".
 */
export function countRateLimited(limiter: string): void {
  const stats = currentStats();
  if (stats) stats.limitedBy = limiter;
  writeMetric("rate_limited", { detail: limiter });
}

/** How a failed login attempt counts, from the problem it ended with (none for a 5xx or 4xx else). */
export function failedLoginOutcome(status: number | undefined): LoginOutcome | undefined {
  if (status === 401) return "failed";
  if (status === 429)
    return currentStats()?.limitedBy?.endsWith("_LIMITER") ? "rate_limited" : "locked";
  return undefined;
}
