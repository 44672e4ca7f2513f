import { expect } from "vitest";
import { type CallResult, expectProblem } from "./worker";

/**
 * Sends `limit` requests that must pass, then expects the next one to be refused with 429. The
 * limiter's windows are aligned to the wall clock: only if one rolled over during the run may the
 * refusal come later, after at most `limit` more requests in the new window.
 */
export async function expectLimitedAfter(
  limit: number,
  attempt: (i: number) => Promise<CallResult>,
) {
  const windowOf = () => Math.floor(Date.now() / 60_000);
  const started = windowOf();
  for (let i = 0; i < limit; i++) {
    const res = await attempt(i);
    expect(res.status, res.text).not.toBe(429);
  }
  let res = await attempt(limit);
  if (res.status !== 429 && windowOf() !== started) {
    for (let i = 1; i <= limit && res.status !== 429; i++) res = await attempt(limit + i);
  }
  expectProblem(res, 429, "rate_limited");
  expect(res.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
  return res;
}

/**
 * How many answers of each kind (`status code`) a burst of concurrent requests got; every 429
 * must carry a Retry-After.
 */
export function tally(results: CallResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const res of results) {
    if (res.status === 429) expect(res.headers.get("retry-after"), res.text).toMatch(/^[1-9]\d*$/);
    const kind = `${res.status} ${res.json?.code ?? ""}`.trim();
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** Sends `count` requests at once and waits for every answer. */
export function burst(count: number, request: (i: number) => Promise<CallResult>) {
  return Promise.all(Array.from({ length: count }, (_, i) => request(i)));
}
