import type { Db } from "../db/client";
import type { Config } from "../env";
import { deleteExpiredVerifications } from "./email-verification";
import { deleteOldEvents } from "./events";
import { deleteExpiredChallenges } from "./passkeys";
import { deleteEndedThrottles } from "./rate-limits";
import { deleteDeadRefreshTokens, deleteExpiredResets } from "./sessions";

/** Rows one delete statement may remove: each statement stays short, its locks brief. */
export const CLEANUP_BATCH = 5_000;
/**
 * Statements per kind of row per run: up to 1,000,000 rows of each kind an hour, far more than
 * the API can add by itself (BENCHMARKS.md, "The cron at scale"), so that a backlog after an
 * outage or a flood drains within hours, while a run stays within a paid Worker's subrequests
 * (6 kinds x 200, the refresh tokens' two statements each: at most 1,400 of 10,000).
 */
export const CLEANUP_MAX_BATCHES = 200;
/** After this long a run starts no further statement; what is left waits for the next hour. */
export const CLEANUP_SECONDS = 300;

type Bounds = { batch: number; maxBatches: number; seconds?: number };

async function inBatches(
  { batch, maxBatches }: Bounds,
  deadline: number,
  step: (limit: number) => Promise<number>,
): Promise<number> {
  let removed = 0;
  for (let round = 0; round < maxBatches && Date.now() < deadline; round++) {
    const deleted = await step(batch);
    removed += deleted;
    if (deleted < batch) break;
  }
  return removed;
}

/**
 * The Cron Trigger's housekeeping, in bounded batches, each found through an index: tokens that
 * can never be used again, ended throttle windows, expired passkey challenges and security events
 * past their retention.
 * Answers how many rows of each went.
 */
export async function cleanUp(
  db: Db,
  config: Pick<Config, "EVENTS_RETENTION_DAYS">,
  bounds: Bounds = { batch: CLEANUP_BATCH, maxBatches: CLEANUP_MAX_BATCHES },
) {
  const deadline = Date.now() + (bounds.seconds ?? CLEANUP_SECONDS) * 1000;
  const batched = (step: (limit: number) => Promise<number>) => inBatches(bounds, deadline, step);
  return {
    refreshTokens: await batched((limit) => deleteDeadRefreshTokens(db, limit)),
    resetTokens: await batched((limit) => deleteExpiredResets(db, limit)),
    verificationTokens: await batched((limit) => deleteExpiredVerifications(db, limit)),
    throttles: await batched((limit) => deleteEndedThrottles(db, limit)),
    passkeyChallenges: await batched((limit) => deleteExpiredChallenges(db, limit)),
    events: await batched((limit) => deleteOldEvents(db, config.EVENTS_RETENTION_DAYS, limit)),
  };
}
