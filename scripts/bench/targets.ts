// The performance targets one `npm run bench` checks, each with its measured value and PASS/MISS:
// throughput as a fraction of the floors of the same run (absolute numbers from a shared 2-core
// machine say little), workerd's CPU per request, database round trips per request, the local SQL
// endpoint's CPU per query (reported only), the seeded users, the bundle size, and no sequential
// scan in the plans of the statements each scenario sent.
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

export type TargetInputs = {
  measured: Measurement[];
  seededUsers: number;
  minimumUsers: number;
  gzipKiB: number;
  /** undefined when BENCH_PLANS=0 skipped them */
  plans?: { scenarios: ScenarioPlans[]; scale: string };
};

const BUNDLE_KIB = 250;
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

export function evaluateTargets(inputs: TargetInputs): Target[] {
  const { measured } = inputs;
  const byId = (id: string) => {
    const found = measured.find((m) => m.id === id);
    if (!found) throw new Error(`scenario ${id} was not measured`);
    return found;
  };
  const targets: Target[] = [];
  const add = (
    target: string,
    measured: number | string,
    limit: string,
    pass: boolean,
    shown = String(measured),
  ) => targets.push({ target, measured, limit, pass, shown });

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

  add(
    `seeded users >= ${inputs.minimumUsers}`,
    inputs.seededUsers,
    `>= ${inputs.minimumUsers}`,
    inputs.seededUsers >= inputs.minimumUsers,
  );
  add(
    `Worker bundle <= ${BUNDLE_KIB} KiB gzipped`,
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
