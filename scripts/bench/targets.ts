// The performance targets one `npm run bench` checks, each with its measured value and PASS/MISS:
// the cost curve (each scenario's costs at every size within CURVE_LIMIT of the smallest's), an
// authenticated read's PostgreSQL CPU against a `select 1` of the same run and size; at the
// smallest size, throughput as a fraction of the floors of the same run (absolute numbers from a
// shared 2-core machine say little), workerd's CPU per request, database round trips per request,
// the local SQL endpoint's CPU per query (reported only); the seeded users, the bundle size, and
// no sequential scan in the plans of the statements each scenario and the cron sent.
import type { Measurement } from "./measure.ts";
import type { ScenarioPlans } from "./plans.ts";
import { round } from "./report.ts";

/** `measured` is a number where the target is one; `shown` is how the report prints it. */
export type Target = {
  target: string;
  measured: number | string;
  limit: string;
  pass: boolean;
  shown: string;
};

/** One size of the data and every scenario measured against it. */
export type CurvePoint = { users: number; seededUsers: number; measured: Measurement[] };

export type TargetInputs = {
  /** by size, smallest first */
  curve: CurvePoint[];
  gzipKiB: number;
  /** undefined when BENCH_PLANS=0 skipped them */
  plans?: { scenarios: ScenarioPlans[]; scale: string };
};

/**
 * The bundle's budget: 250 KiB gzipped, 300 with passkeys, each KiB of those explained
 * (BENCHMARKS.md, "Passkeys: what they cost": about 16 KiB, the rest under 250).
 */
const BUNDLE_KIB = 300;
/** Worker CPU per request, ms */
const CPU_LIMITS: [string, number][] = [
  ["health", 0.05],
  ["me", 0.25],
  ["selfById", 0.25],
  ["otherById", 0.25],
  ["search", 0.4],
  ["patch", 0.35],
];
/** Scenarios that must take exactly one database round trip per request. */
const ONE_TRIP = ["ready", "me", "selfById", "otherById", "list", "search", "patch", "refresh"];
/** A request's costs at any size, over its costs at the smallest (DESIGN: 1M against 10k). */
export const CURVE_LIMIT = 1.5;
/**
 * Below this many ms a cost is no measurement but noise (a bare Worker's PostgreSQL CPU is 0):
 * a cost under it at both sizes keeps the rule.
 */
const CURVE_FLOOR_MS = 0.01;
/** The authenticated reads, whose PostgreSQL CPU may be at most this many `select 1`s. */
const AUTHENTICATED_READS = ["me", "selfById", "otherById"];
const SELECT_ONE_LIMIT = 2;

const byIdIn = (measured: Measurement[]) => (id: string) => {
  const found = measured.find((m) => m.id === id);
  if (!found) throw new Error(`scenario ${id} was not measured`);
  return found;
};

/** Each cost of the curve: what it is called, and how to read it off a measurement. */
const CURVE_COSTS: [string, (m: Measurement) => number | null][] = [
  ["PostgreSQL CPU", (m) => m.postgresCpuMsPerRequest],
  ["Worker CPU", (m) => m.workerCpuMsPerRequest],
  ["p50 latency", (m) => m.latencyMs.p50],
];

/** A cost at a larger size over the same at the smallest; 1 when both are under the floor. */
export function growth(at: number, base: number): number {
  if (at < CURVE_FLOOR_MS && base < CURVE_FLOOR_MS) return 1;
  return at / Math.max(base, CURVE_FLOOR_MS);
}

function curveTargets(curve: CurvePoint[], add: Add): void {
  const [smallest, ...larger] = curve;
  if (!smallest) return;
  for (const point of larger) {
    const at = byIdIn(point.measured);
    for (const base of smallest.measured) {
      const m = at(base.id);
      const failure = m.failure ?? base.failure;
      if (failure !== undefined) {
        add(
          `${m.name}: costs at ${point.users.toLocaleString("en")} users <= ${CURVE_LIMIT} x at ${smallest.users.toLocaleString("en")}`,
          "not measured",
          `<= ${CURVE_LIMIT}`,
          false,
          `not measured: ${failure.slice(0, 160)}`,
        );
        continue;
      }
      const ratios = CURVE_COSTS.flatMap(([name, cost]) => {
        const [x, y] = [cost(m), cost(base)];
        return x === null || y === null ? [] : [{ name, ratio: growth(x, y) }];
      });
      const worst = Math.max(...ratios.map((r) => r.ratio));
      add(
        `${m.name}: costs at ${point.users.toLocaleString("en")} users <= ${CURVE_LIMIT} x at ${smallest.users.toLocaleString("en")}`,
        round(worst, 3),
        `<= ${CURVE_LIMIT}`,
        worst <= CURVE_LIMIT,
        ratios.map((r) => `${r.name} ${r.ratio.toFixed(2)} x`).join(", "),
      );
    }
  }
  for (const point of curve) {
    const at = byIdIn(point.measured);
    const selectOne = at("bareQuery").postgresCpuMsPerRequest;
    if (selectOne === null) continue;
    for (const id of AUTHENTICATED_READS) {
      const m = at(id);
      const ratio = (m.postgresCpuMsPerRequest ?? Number.NaN) / selectOne;
      add(
        `${m.name} PostgreSQL CPU <= ${SELECT_ONE_LIMIT} x select 1, ${point.users.toLocaleString("en")} users`,
        round(ratio, 3),
        `<= ${SELECT_ONE_LIMIT}`,
        ratio <= SELECT_ONE_LIMIT,
        `${ratio.toFixed(2)} x (${m.postgresCpuMsPerRequest?.toFixed(3)} vs ${selectOne.toFixed(3)} ms)`,
      );
    }
  }
}

type Add = (
  target: string,
  measured: number | string,
  limit: string,
  pass: boolean,
  shown?: string,
) => void;

export function evaluateTargets(inputs: TargetInputs): Target[] {
  const smallest = inputs.curve[0];
  if (!smallest) throw new Error("no size was measured");
  const { measured } = smallest;
  const byId = byIdIn(measured);
  const targets: Target[] = [];
  const add: Add = (target, measured, limit, pass, shown = String(measured)) =>
    targets.push({ target, measured, limit, pass, shown });
  curveTargets(inputs.curve, add);

  const health = byId("health");
  const ready = byId("ready");
  const throughput = (m: Measurement, floor: Measurement, fraction: number) => {
    const ratio = m.requestsPerSecond / floor.requestsPerSecond;
    add(
      `${m.name} req/s >= ${fraction} x ${floor.name}`,
      round(ratio, 3),
      `>= ${fraction}`,
      ratio >= fraction,
      `${ratio.toFixed(3)} x (${m.requestsPerSecond.toFixed(0)} vs ${floor.requestsPerSecond.toFixed(0)} req/s)`,
    );
  };
  for (const id of ["me", "selfById", "otherById"]) {
    throughput(byId(id), health, 0.52);
    throughput(byId(id), ready, 0.8);
  }
  throughput(ready, health, 0.5);

  // What the runtime alone costs on this machine, printed beside each CPU figure: a bare Worker
  // under /health, a bare Worker sending one query under every request that queries.
  const bare = byId("bare").workerCpuMsPerRequest;
  const bareQuery = byId("bareQuery").workerCpuMsPerRequest;
  for (const [id, limit] of CPU_LIMITS) {
    const m = byId(id);
    const floor =
      id === "health"
        ? `bare Worker ${bare.toFixed(4)}`
        : `bare Worker + 1 query ${bareQuery.toFixed(4)}`;
    add(
      `${m.name} Worker CPU <= ${limit} ms/request`,
      m.workerCpuMsPerRequest,
      `<= ${limit} ms`,
      m.workerCpuMsPerRequest <= limit,
      `${m.workerCpuMsPerRequest.toFixed(4)} ms (floor: ${floor} ms)`,
    );
  }

  const trips = (m: Measurement, limit: string, pass: boolean) =>
    add(
      `${m.name} DB round trips ${limit}/request`,
      m.databaseRoundTripsPerRequest,
      limit,
      pass,
      m.databaseRoundTripsPerRequest.toFixed(2),
    );
  for (const id of ONE_TRIP) {
    const m = byId(id);
    trips(m, "= 1", Math.abs(m.databaseRoundTripsPerRequest - 1) <= 0.01);
  }
  const login = byId("login");
  trips(login, "<= 2", login.databaseRoundTripsPerRequest <= 2);

  // Over all scenarios, each weighted by its number of SQL requests.
  let cpuMs = 0;
  let queries = 0;
  const perQuery: number[] = [];
  for (const m of measured) {
    if (m.endpointCpuMsPerQuery === null) continue;
    const trips = m.databaseRoundTripsPerRequest * m.requests;
    cpuMs += m.endpointCpuMsPerQuery * trips;
    queries += trips;
    perQuery.push(m.endpointCpuMsPerQuery);
  }
  const mean = queries > 0 ? cpuMs / queries : Number.NaN;
  add(
    "local SQL endpoint CPU per query reported",
    queries > 0 ? round(mean, 4) : "not measurable",
    "reported",
    queries > 0,
    queries > 0
      ? `${mean.toFixed(3)} ms (${Math.min(...perQuery).toFixed(3)}-${Math.max(...perQuery).toFixed(3)} by scenario, see the table)`
      : "not measurable",
  );

  for (const point of inputs.curve) {
    add(
      `seeded users >= ${point.users}`,
      point.seededUsers,
      `>= ${point.users}`,
      point.seededUsers >= point.users,
    );
  }
  add(
    `Worker bundle <= ${BUNDLE_KIB} KiB gzipped (with passkeys)`,
    round(inputs.gzipKiB, 1),
    `<= ${BUNDLE_KIB} KiB`,
    inputs.gzipKiB <= BUNDLE_KIB,
    `${inputs.gzipKiB.toFixed(1)} KiB`,
  );

  for (const { scenario, statements } of inputs.plans?.scenarios ?? []) {
    const problems = statements.flatMap((s, i) => [
      ...s.seqScans.map((relation) => `Seq Scan on ${relation} (statement ${i + 1})`),
      ...(s.error ? [`statement ${i + 1} not explained`] : []),
    ]);
    add(
      `no Seq Scan in ${scenario}'s plans at ${inputs.plans?.scale}`,
      problems.length === 0
        ? `none in ${statements.length} statement${statements.length === 1 ? "" : "s"}`
        : problems.join(", "),
      "no Seq Scan",
      problems.length === 0,
    );
  }
  return targets;
}
