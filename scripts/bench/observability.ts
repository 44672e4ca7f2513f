// `npm run bench:observability`: what the request log line and the auth metrics cost per
// request, as Worker CPU of an authenticated read (GET /users/{id}, the caller's own), measured
// in one run on workerd processes that differ only in what they observe: nothing (LOG_FORMAT=off,
// no METRICS binding: the middleware steps aside), the log line alone, the metrics alone (a
// METRICS stand-in whose writeDataPoint does nothing: the runtime's own cost of a data point is
// not part of workerd), and both, as deployed; BENCH_OTHER_BUNDLE adds other builds, as deployed.
//
// The variants are loaded at the same time, each with its share of the connections, and each
// one's CPU per request is read over the same seconds: whatever else the machine does then (it is
// shared) slows them alike, where loading them one after another compared moments that differed
// by more than the cost measured, and all are equally warm (a process loaded beside one that
// stays loaded, and idle in between, came out 10 % dearer whatever it ran). A round is one such
// load; each variant is compared with "nothing observed" of its own round, and the median of the
// rounds' ratios is the figure, with the quartiles for how far it can be trusted. Loaded together,
// each process answers fewer requests at once and spends more per request than alone (about
// 0.9 ms instead of 0.55), so the µs added is the figure to set against one read measured alone.
// Then the parts one by one (observability-parts.ts); `-- --parts` measures only those.
// `-- --instructions` counts instructions per read instead, each variant's workerd under valgrind
// (observability-instructions.ts): steadier than time, it prices each variant to about half a
// point where the timed rounds' quartiles span several.
// Settings: BENCH_ROUNDS (12), BENCH_SECONDS per round (6), BENCH_CONNECTIONS in all (32),
// BENCH_DATABASE_URL, BENCH_VARIANTS (the ids to run, "nothing observed" always among them:
// plain,log,metrics,both,other1,...); 1,000 users in a scratch database.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { load, type Scenario } from "./measure.ts";
import {
  type Counted,
  callgrindWrapper,
  countInstructions,
  PREDICTABLE_V8,
  reportInstructions,
} from "./observability-instructions.ts";
import { measureParts } from "./observability-parts.ts";
import { cpuTimesOf, runToEnd } from "./processes.ts";
import { round } from "./report.ts";
import { logIn } from "./seed.ts";
import { BCRYPT_COST, connections, seconds, warmupSeconds } from "./settings.ts";
import { runScript, setUpStage } from "./stage.ts";
import { startWorkerd, type Workerd } from "./workerd.ts";

type Variant = {
  id: string;
  name: string;
  logFormat: "off" | "json";
  metrics: boolean;
  /** another build of the Worker than this checkout's (BENCH_OTHER_BUNDLE) */
  bundle?: string;
};

// BENCH_OTHER_BUNDLE: other builds' dist/worker.js (another commit's, copied aside), separated by
// commas, each served as deployed in the same rounds: changes compared in one run.
const otherBundles = (process.env.BENCH_OTHER_BUNDLE ?? "").split(",").filter(Boolean);
const ALL_VARIANTS: Variant[] = [
  { id: "plain", name: "nothing observed", logFormat: "off", metrics: false },
  { id: "log", name: "log line only", logFormat: "json", metrics: false },
  { id: "metrics", name: "metrics only", logFormat: "off", metrics: true },
  { id: "both", name: "log line + metrics (as deployed)", logFormat: "json", metrics: true },
  ...otherBundles.map((bundle, i) => ({
    id: `other${i + 1}`,
    name: `as deployed, ${bundle.split("/").at(-1)}`,
    logFormat: "json" as const,
    metrics: true,
    bundle,
  })),
];
// BENCH_VARIANTS: the ids of the variants to run (plain,log,metrics,both,other1,...); all by
// default. "nothing observed" (plain) always runs first: every other is compared with it.
const chosen = (process.env.BENCH_VARIANTS ?? "").split(",").filter(Boolean);
const VARIANTS = ALL_VARIANTS.filter(
  ({ id }) => chosen.length === 0 || id === "plain" || chosen.includes(id),
);

const ROUNDS = Math.max(5, Math.round(Number(process.env.BENCH_ROUNDS || 12)));

/** One server's share of one load. */
type Share = { requests: number; cpuMs: number; userCpuMs: number };

/** The q-quantile of `values`, interpolated between the two nearest (q = 0.5: the median). */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const below = sorted[Math.floor(at)] ?? Number.NaN;
  const above = sorted[Math.ceil(at)] ?? Number.NaN;
  return below + (above - below) * (at - Math.floor(at));
}

const percent = (ratio: number) => `${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(1)} %`;

type Server = { variant: Variant; workerd: Workerd; scenario: Scenario };

/**
 * Loads every server at once for `duration` seconds; answers each one's requests and CPU time. A timed
 * load cuts off the requests in flight at its end: the pause lets workerd finish them before
 * the CPU is read, so each server's CPU holds at most its connections' worth of requests more
 * than it counts (a few in thousands, alike for all).
 */
async function loadTogether(servers: Server[], duration: number): Promise<Share[]> {
  const before = servers.map(({ workerd }) => cpuTimesOf(workerd.pid));
  const runs = await Promise.all(
    servers.map(({ workerd, scenario }) => load(workerd, scenario, { duration })),
  );
  await sleep(500);
  return servers.map(({ workerd }, i) => {
    const after = cpuTimesOf(workerd.pid);
    const start = before[i] ?? after;
    return {
      requests: runs[i]?.result.requests.total ?? 0,
      cpuMs: (after.user + after.system - start.user - start.system) * 1000,
      userCpuMs: (after.user - start.user) * 1000,
    };
  });
}

function report(rounds: Share[][], perVariant: number): void {
  const kinds = [
    { label: "user + system", pick: (s: Share) => s.cpuMs / s.requests },
    { label: "user only", pick: (s: Share) => s.userCpuMs / s.requests },
  ];
  for (const { label, pick } of kinds) {
    console.log(
      `\nWorker CPU (${label}) per authenticated read, ${ROUNDS} rounds of ${seconds} s, the variants loaded together (${perVariant} connections each):`,
    );
    console.log(
      "variant                                        median ms/req   vs nothing (median of rounds)   quartiles of rounds   µs added",
    );
    VARIANTS.forEach(({ id, name }, v) => {
      const cpu = rounds.map((shares) => pick(shares[v] as Share));
      const plain = rounds.map((shares) => pick(shares[0] as Share));
      const ratios = cpu.map((value, r) => value / (plain[r] ?? Number.NaN));
      const added = cpu.map((value, r) => (value - (plain[r] ?? Number.NaN)) * 1000);
      const versus =
        id === "plain"
          ? ["–", "–", "–"]
          : [
              percent(quantile(ratios, 0.5)),
              `${percent(quantile(ratios, 0.25))} .. ${percent(quantile(ratios, 0.75))}`,
              round(quantile(added, 0.5), 1).toFixed(1),
            ];
      console.log(
        `${name.padEnd(47)}${quantile(cpu, 0.5).toFixed(4).padStart(14)}${(versus[0] ?? "").padStart(32)}${(versus[1] ?? "").padStart(22)}${(versus[2] ?? "").padStart(11)}`,
      );
    });
    console.log(`Each round's ms/req (${label}):`);
    VARIANTS.forEach(({ id }, v) => {
      console.log(
        `  ${id.padEnd(8)} ${rounds.map((shares) => pick(shares[v] as Share).toFixed(4)).join(" ")}`,
      );
    });
  }
  const rates = VARIANTS.map(
    ({ id }, v) =>
      `${id} ${quantile(
        rounds.map((shares) => (shares[v]?.requests ?? 0) / seconds),
        0.5,
      ).toFixed(0)}`,
  );
  console.log(`\nMedian req/s: ${rates.join(", ")}`);
}

type Stage = Awaited<ReturnType<typeof setUpStage>>;

/** One variant's workerd, logged in as the seeded user. */
async function startVariant(
  stage: Stage,
  variant: Variant,
  dir: string,
  wrapper?: string[],
  v8Flags?: string[],
): Promise<{ workerd: Workerd; token: string }> {
  const workerd = await startWorkerd(
    dir,
    {
      DATABASE_URL: `postgres://bench:${stage.database.secret}@sql-endpoint/${stage.databaseName}`,
      NEON_FETCH_ENDPOINT: stage.database.sqlUrl,
      JWT_SECRET: randomBytes(48).toString("base64url"),
      BCRYPT_COST: String(BCRYPT_COST),
      MAIL_PROVIDER: "log",
      LOG_FORMAT: variant.logFormat,
    },
    // Under valgrind workerd starts in tens of seconds, not one.
    {
      metrics: variant.metrics,
      bundle: variant.bundle,
      wrapper,
      v8Flags,
      startMs: wrapper ? 300_000 : undefined,
    },
  );
  const { access_token } = await logIn(workerd.base, stage.seeded.login);
  return { workerd, token: access_token };
}

/** `-- --instructions`: each variant in turn under callgrind (observability-instructions.ts). */
async function instructions(stage: Stage, dirs: string[]): Promise<void> {
  const count = async (variant: Variant) => {
    const dir = await mkdtemp(join(tmpdir(), `user-api-instructions-${variant.id}-`));
    dirs.push(dir);
    console.log(`Counting instructions: ${variant.name}...`);
    const { workerd, token } = await startVariant(
      stage,
      variant,
      dir,
      callgrindWrapper(dir),
      PREDICTABLE_V8,
    );
    try {
      const path = `/users/${stage.seeded.selfId}`;
      return { name: variant.name, counted: await countInstructions(workerd, dir, path, token) };
    } finally {
      process.kill(workerd.pid, "SIGTERM");
    }
  };
  // Two at a time, one per core: a count does not depend on what else the machine runs.
  const rows: { name: string; counted: Counted }[] = [];
  for (let i = 0; i < VARIANTS.length; i += 2) {
    rows.push(...(await Promise.all(VARIANTS.slice(i, i + 2).map(count))));
  }
  reportInstructions(rows);
}

async function main(): Promise<void> {
  if (process.argv.includes("--parts")) return measureParts();
  console.log("Building the Worker bundle...");
  await runToEnd("npm", ["run", "--silent", "build:worker"]);
  const stage = await setUpStage({ purpose: "observability", users: 1_000 });
  const perVariant = Math.max(4, Math.round(connections / VARIANTS.length));
  const dirs: string[] = [];
  try {
    if (process.argv.includes("--instructions")) return await instructions(stage, dirs);
    const servers: Server[] = [];
    for (const variant of VARIANTS) {
      const dir = await mkdtemp(join(tmpdir(), `user-api-observability-${variant.id}-`));
      dirs.push(dir);
      const { workerd, token: access_token } = await startVariant(stage, variant, dir);
      servers.push({
        variant,
        workerd,
        scenario: {
          id: variant.id,
          name: `GET /users/{id} self, ${variant.name}`,
          method: "GET",
          path: `/users/${stage.seeded.selfId}`,
          token: access_token,
          connections: perVariant,
          seconds,
        },
      });
    }
    console.log(`Warming up (${warmupSeconds} s, all together)...`);
    await loadTogether(servers, warmupSeconds);
    const rounds: Share[][] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      console.log(`Round ${r}/${ROUNDS}: ${VARIANTS.length} variants together...`);
      rounds.push(await loadTogether(servers, seconds));
    }
    report(rounds, perVariant);
    await measureParts();
  } finally {
    // BENCH_KEEP_DUMPS=1 keeps each variant's directory (its callgrind dumps, for callgrind_annotate).
    for (const dir of dirs) {
      if (process.env.BENCH_KEEP_DUMPS) console.log(`Kept ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    }
  }
}

runScript("observability bench", main);
