// Loads one endpoint with autocannon and measures it: requests per second, latency percentiles,
// workerd's CPU time and the database round trips per request, each exact over a run of a fixed
// number of requests sized by a warm-up.
import { setTimeout as sleep } from "node:timers/promises";
import autocannon, { type Instance, type Result } from "autocannon";
import { messageOf, round } from "./report.ts";
import { warmupSeconds } from "./settings.ts";
import { cpuSecondsOf, type Workerd } from "./workerd.ts";

export type Scenario = {
  name: string;
  method: "GET" | "POST";
  path: string;
  token?: string;
  body?: string;
  connections: number;
  seconds: number;
  /** docs/architecture.md's budget of database round trips per request */
  tripBudget: number;
  /** bcrypt dominates its CPU, so the 1 ms CPU budget does not apply */
  hashesPassword?: boolean;
};

export type Measurement = {
  name: string;
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  relativeToHealth: number;
  relativeToReady: number;
  latencyMs: { p50: number; p99: number };
  non2xx: number;
  workerCpuMsPerRequest: number;
  /** docs/architecture.md's budget; null where bcrypt is most of the work */
  workerCpuBudgetMs: number | null;
  databaseRoundTripsPerRequest: number;
  databaseRoundTripBudget: number;
};

type Rate = Omit<Measurement, "relativeToHealth" | "relativeToReady">;

let running: Instance | undefined;
let aborted = false;

/** Stops the load in flight (Ctrl-C): the run it belongs to then fails as "interrupted". */
export function abortLoad(): void {
  aborted = true;
  running?.stop();
}

/**
 * Loads one endpoint for a time (warm-up) or for a number of requests (measurement; see
 * measure()). Seconds run from the first request to the last response: with `amount`, autocannon's
 * own duration also counts the wait for its next one-second tick.
 */
async function load(
  workerd: Workerd,
  scenario: Scenario,
  size: { duration: number } | { amount: number },
) {
  const headers: Record<string, string> = {};
  if (scenario.token) headers.Authorization = `Bearer ${scenario.token}`;
  if (scenario.body) headers["Content-Type"] = "application/json";
  const startedAt = performance.now();
  let lastResponseAt = startedAt;
  const instance = autocannon({
    url: `${workerd.base}${scenario.path}`,
    method: scenario.method,
    headers,
    body: scenario.body,
    connections: scenario.connections,
    ...size,
  });
  running = instance;
  // autocannon's own histogram has whole-millisecond buckets, too coarse for sub-millisecond
  // answers; its per-response times are exact, so the percentiles come from those.
  const latencies: number[] = [];
  instance.on("response", (_client, _status, _bytes, milliseconds) => {
    latencies.push(milliseconds);
    lastResponseAt = performance.now();
  });
  // A run of `amount` requests has no time limit of its own; this keeps the benchmark bounded
  // should the server slow down far below the rate the warm-up saw.
  let overran = false;
  const guard = setTimeout(
    () => {
      overran = true;
      instance.stop();
    },
    (3 * scenario.seconds + 10) * 1000,
  );
  const result = await instance;
  clearTimeout(guard);
  running = undefined;
  if (aborted) throw new Error("interrupted");
  if (overran) throw new Error(`${scenario.name} ran three times longer than planned`);
  if (result.non2xx > 0 || result.errors > 0) await failLoudly(workerd, scenario, result);
  return { result, latencies, seconds: (lastResponseAt - startedAt) / 1000 };
}

async function failLoudly(workerd: Workerd, scenario: Scenario, result: Result): Promise<never> {
  const response = await fetch(`${workerd.base}${scenario.path}`, {
    method: scenario.method,
    headers: {
      ...(scenario.token ? { Authorization: `Bearer ${scenario.token}` } : {}),
      ...(scenario.body ? { "Content-Type": "application/json" } : {}),
    },
    body: scenario.body,
  }).catch((error: unknown) => messageOf(error));
  const sample =
    typeof response === "string"
      ? response
      : `${response.status} ${(await response.text()).slice(0, 500)}`;
  throw new Error(
    `${scenario.name} must answer only 2xx, but had ${result.non2xx} non-2xx answers and ${result.errors} connection errors (${result.timeouts} timeouts); status codes ${JSON.stringify(result.statusCodeStats)}; one more request now answers: ${sample}\nworkerd's last output:\n${workerd.output()}`,
  );
}

async function databaseRequests(countUrl: string): Promise<number> {
  const response = await fetch(countUrl);
  return ((await response.json()) as { requests: number }).requests;
}

function percentile(sorted: Float64Array, fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

export async function measure(
  workerd: Workerd,
  countUrl: string,
  scenario: Scenario,
): Promise<Rate> {
  const warmup = await load(workerd, scenario, { duration: warmupSeconds });
  // The warm-up ends by cutting off the requests in flight, which workerd may still be finishing
  // (a login's queued bcrypt takes a few hundred ms): their CPU and queries are not this run's.
  await sleep(500);
  // The measured run is a number of requests, not a time, so that every request it sends is
  // answered and counted: CPU time and round trips per request are then exact, not skewed by
  // requests cut off at the end. The warm-up's rate sizes it to take about `seconds`.
  const amount = Math.max(
    10 * scenario.connections,
    Math.round((warmup.result.requests.total / warmup.seconds) * scenario.seconds),
  );
  const cpuBefore = cpuSecondsOf(workerd.pid);
  const tripsBefore = await databaseRequests(countUrl);
  const run = await load(workerd, scenario, { amount });
  const cpuSeconds = cpuSecondsOf(workerd.pid) - cpuBefore;
  const trips = (await databaseRequests(countUrl)) - tripsBefore;

  const requests = run.result.requests.total;
  const sorted = Float64Array.from(run.latencies).sort();
  return {
    name: scenario.name,
    connections: scenario.connections,
    seconds: round(run.seconds, 2),
    requests,
    requestsPerSecond: round(requests / run.seconds, 1),
    latencyMs: { p50: round(percentile(sorted, 0.5), 2), p99: round(percentile(sorted, 0.99), 2) },
    non2xx: run.result.non2xx,
    workerCpuMsPerRequest: round((cpuSeconds * 1000) / requests, 3),
    workerCpuBudgetMs: scenario.hashesPassword ? null : 1,
    databaseRoundTripsPerRequest: round(trips / requests, 2),
    databaseRoundTripBudget: scenario.tripBudget,
  };
}

/** Each endpoint's rate as a fraction of the two floors measured in the same run. */
export function relativeToFloors(measured: Rate[]): Measurement[] {
  const rateOf = (name: string) => {
    const rate = measured.find((m) => m.name === name)?.requestsPerSecond;
    if (!rate) throw new Error(`${name} was not measured`);
    return rate;
  };
  const health = rateOf("GET /health");
  const ready = rateOf("GET /health/ready");
  return measured.map((m) => ({
    ...m,
    relativeToHealth: round(m.requestsPerSecond / health, 3),
    relativeToReady: round(m.requestsPerSecond / ready, 3),
  }));
}
