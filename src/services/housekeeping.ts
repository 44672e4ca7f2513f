import type { Db } from "../db/client";
import type { Config } from "../env";
import { deleteExpiredVerifications } from "./email-verification";
import { deleteOldEvents } from "./events";
import { deleteEndedThrottles } from "./rate-limits";
import { deleteDeadRefreshTokens, deleteExpiredResets } from "./sessions";

/** Rows one delete statement may remove: each statement stays short, its locks brief. */
export const CLEANUP_BATCH = 5_000;
/**
 * Statements per kind of row per run: one run stays well inside a Cron Trigger's limits even
 * after a backlog (an outage, a flood of sign-ups); what is left waits for the next hour.
 */
export const CLEANUP_MAX_BATCHES = 20;

type Bounds = { batch: number; maxBatches: number };

async function inBatches(
  { batch, maxBatches }: Bounds,
  step: (limit: number) => Promise<number>,
): Promise<number> {
  let removed = 0;
  for (let round = 0; round < maxBatches; round++) {
    const deleted = await step(batch);
    removed += deleted;
    if (deleted < batch) break;
  }
  return removed;
}

/**
 * The Cron Trigger's housekeeping, in bounded batches: tokens that can never be used again, ended
 * throttle windows and security events past their retention. Answers how many rows of each went.
 */
export async function cleanUp(
  db: Db,
  config: Pick<Config, "EVENTS_RETENTION_DAYS">,
  bounds: Bounds = { batch: CLEANUP_BATCH, maxBatches: CLEANUP_MAX_BATCHES },
) {
  const batched = (step: (limit: number) => Promise<number>) => inBatches(bounds, step);
  return {
    refreshTokens: await batched((limit) => deleteDeadRefreshTokens(db, limit)),
    resetTokens: await batched((limit) => deleteExpiredResets(db, limit)),
    verificationTokens: await batched((limit) => deleteExpiredVerifications(db, limit)),
    throttles: await batched((limit) => deleteEndedThrottles(db, limit)),
    events: await batched((limit) => deleteOldEvents(db, config.EVENTS_RETENTION_DAYS, limit)),
  };
}
