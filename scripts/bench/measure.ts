// Loads one endpoint with autocannon and measures it: requests per second, latency percentiles,
// workerd's CPU time, the SQL endpoint's CPU time and the database round trips per request, each
// exact over a run of a fixed number of requests sized by a warm-up. Every answer must be the
// scenario's status; the database side records the statements of the measured run under the
// scenario's name, for the query plans.
import { setTimeout as sleep } from "node:timers/promises";
import autocannon, { type Instance, type Method, type Result } from "autocannon";
import { type Chain, chainedClients, checkChains } from "./chains.ts";
import { type DatabaseSide, recordAs, sqlRequests } from "./database.ts";
import { cpuSecondsOf, postgresCpuSeconds } from "./processes.ts";
import { messageOf, round } from "./report.ts";
import { warmupSeconds } from "./settings.ts";
import type { Workerd } from "./workerd.ts";

export type Scenario = {
  /** what targets.ts knows it by */
  id: string;
  name: string;
  method: Method;
  path: string;
  token?: string;
  body?: string;
  connections: number;
  seconds: number;
  /** one refresh-token chain per connection (chains.ts): the body is each one's newest token */
  chains?: Chain[];
  /** a reference Worker's origin instead of the API's (workerd.ts, REFERENCE_WORKERS) */
  origin?: string;
};

export type Measurement = {
  id: string;
  name: string;
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number };
  workerCpuMsPerRequest: number;
  databaseRoundTripsPerRequest: number;
  /** the SQL endpoint process's CPU time per SQL request; null without any */
  endpointCpuMsPerQuery: number | null;
  /** CPU time of PostgreSQL's backends of the database per HTTP request; null on PGlite */
  postgresCpuMsPerRequest: number | null;
  /** each round's req/s and Worker CPU, for the spread behind the medians */
  rounds?: { requestsPerSecond: number; workerCpuMsPerRequest: number }[];
  /** why the scenario could not be measured (answers other than its status): its figures are NaN */
  failure?: string;
};

/** A scenario that could not be measured at a size: every figure NaN, and why. */
export function failedMeasurement(scenario: Scenario, failure: string): Measurement {
  return {
    id: scenario.id,
    name: scenario.name,
    connections: scenario.connections,
    seconds: Number.NaN,
    requests: 0,
    requestsPerSecond: Number.NaN,
    latencyMs: { p50: Number.NaN, p99: Number.NaN },
    workerCpuMsPerRequest: Number.NaN,
    databaseRoundTripsPerRequest: Number.NaN,
    endpointCpuMsPerQuery: Number.NaN,
    postgresCpuMsPerRequest: Number.NaN,
    failure,
  };
}

const EXPECTED_STATUS = 200;
let running: Instance | undefined;
let aborted = false;

/** Stops the load in flight (Ctrl-C): the run it belongs to then fails as "interrupted". */
export function abortLoad(): void {
  aborted = true;
  running?.stop();
}

/**
 * Loads one endpoint for a time or for a number of requests (the profiler's loads too). Seconds run from the first request
 * to the last response: with `amount`, autocannon's own duration also counts the wait for its
 * next one-second tick.
 */
export async function load(
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
    url: `${scenario.origin ?? workerd.base}${scenario.path}`,
    method: scenario.method,
    headers,
    body: scenario.body,
    connections: scenario.connections,
    setupClient: scenario.chains ? chainedClients(scenario.chains, scenario.path) : undefined,
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
  if (scenario.chains) checkChains(scenario.chains, scenario.name);
  if (overran) throw new Error(`${scenario.name} ran three times longer than planned`);
  const statuses = Object.keys(result.statusCodeStats);
  if (result.errors > 0 || statuses.some((status) => Number(status) !== EXPECTED_STATUS)) {
    await failLoudly(workerd, scenario, result);
  }
  const seconds = (lastResponseAt - startedAt) / 1000;
  return { result, latencies, seconds, rate: result.requests.total / seconds };
}

async function failLoudly(workerd: Workerd, scenario: Scenario, result: Result): Promise<never> {
  const response = await fetch(`${scenario.origin ?? workerd.base}${scenario.path}`, {
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
    `${scenario.name} must answer only ${EXPECTED_STATUS}, but had status codes ${JSON.stringify(result.statusCodeStats)} and ${result.errors} connection errors (${result.timeouts} timeouts); one more request now answers: ${sample}\nworkerd's last output:\n${workerd.output()}`,
  );
}

/** Warms the endpoint up; answers the rate it reached, which sizes the measured run. */
async function warmUp(workerd: Workerd, scenario: Scenario): Promise<number> {
  if (!scenario.chains) {
    const warmup = await load(workerd, scenario, { duration: warmupSeconds });
    // A timed load ends by cutting off the requests in flight, which workerd may still be
    // finishing (a login's queued bcrypt takes a few hundred ms): their CPU and queries are not
    // the measured run's.
    await sleep(500);
    return warmup.rate;
  }
  // A refresh cut off that way may have spent its token without its answer, the next token, ever
  // arriving: a chained scenario warms up with whole numbers of requests only, sized by a probe.
  const minimum = 5 * scenario.connections;
  const probe = await load(workerd, scenario, { amount: minimum });
  const amount = Math.max(minimum, Math.round(probe.rate * warmupSeconds));
  return (await load(workerd, scenario, { amount })).rate;
}

function percentile(sorted: Float64Array, fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

export async function measure(
  workerd: Workerd,
  database: DatabaseSide,
  scenario: Scenario,
): Promise<Measurement> {
  const rate = await warmUp(workerd, scenario);
  // The measured run is a number of requests, not a time, so that every request it sends is
  // answered and counted: CPU time and round trips per request are then exact, not skewed by
  // requests cut off at the end. The warm-up's rate sizes it to take about `seconds`.
  const amount = Math.max(10 * scenario.connections, Math.round(rate * scenario.seconds));
  await recordAs(database, scenario.name);
  const tripsBefore = await sqlRequests(database);
  const workerCpuBefore = cpuSecondsOf(workerd.pid);
  const endpointCpuBefore = cpuSecondsOf(database.pid);
  const postgresCpuBefore = database.postgres ? postgresCpuSeconds(database.database) : 0;
  const run = await load(workerd, scenario, { amount });
  const workerCpu = cpuSecondsOf(workerd.pid) - workerCpuBefore;
  const endpointCpu = cpuSecondsOf(database.pid) - endpointCpuBefore;
  const postgresCpu = database.postgres
    ? postgresCpuSeconds(database.database) - postgresCpuBefore
    : undefined;
  const trips = (await sqlRequests(database)) - tripsBefore;
  await recordAs(database, null);

  const requests = run.result.requests.total;
  const sorted = Float64Array.from(run.latencies).sort();
  return {
    id: scenario.id,
    name: scenario.name,
    connections: scenario.connections,
    seconds: round(run.seconds, 2),
    requests,
    requestsPerSecond: round(requests / run.seconds, 1),
    latencyMs: { p50: round(percentile(sorted, 0.5), 2), p99: round(percentile(sorted, 0.99), 2) },
    workerCpuMsPerRequest: round((workerCpu * 1000) / requests, 4),
    databaseRoundTripsPerRequest: round(trips / requests, 3),
    endpointCpuMsPerQuery: trips > 0 ? round((endpointCpu * 1000) / trips, 4) : null,
    postgresCpuMsPerRequest:
      // Below zero only when a backend exited during the run (its time leaves the sum).
      postgresCpu === undefined ? null : round(Math.max(0, (postgresCpu * 1000) / requests), 4),
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** One scenario over every round: each figure's median, the requests and seconds summed. */
export function medianOfRounds(all: Measurement[]): Measurement {
  const runs = all.filter((m) => m.failure === undefined);
  const [first] = runs;
  if (!first) {
    const [failed] = all;
    if (!failed) throw new Error("a scenario was not measured");
    return failed;
  }
  const of = (pick: (m: Measurement) => number) => median(runs.map(pick));
  const orNull = (pick: (m: Measurement) => number | null) =>
    runs.some((m) => pick(m) === null) ? null : of((m) => pick(m) ?? 0);
  return {
    ...first,
    seconds: round(
      runs.reduce((sum, m) => sum + m.seconds, 0),
      2,
    ),
    requests: runs.reduce((sum, m) => sum + m.requests, 0),
    requestsPerSecond: round(
      of((m) => m.requestsPerSecond),
      1,
    ),
    latencyMs: { p50: of((m) => m.latencyMs.p50), p99: of((m) => m.latencyMs.p99) },
    workerCpuMsPerRequest: round(
      of((m) => m.workerCpuMsPerRequest),
      4,
    ),
    databaseRoundTripsPerRequest: round(
      of((m) => m.databaseRoundTripsPerRequest),
      3,
    ),
    endpointCpuMsPerQuery: orNull((m) => m.endpointCpuMsPerQuery),
    postgresCpuMsPerRequest: orNull((m) => m.postgresCpuMsPerRequest),
    rounds: runs.map((m) => ({
      requestsPerSecond: m.requestsPerSecond,
      workerCpuMsPerRequest: m.workerCpuMsPerRequest,
    })),
  };
}
