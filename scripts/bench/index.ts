import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { countUsers, PER_USER } from "./bulk.ts";
import { openChains } from "./chains.ts";
import { recordAs } from "./database.ts";
import { tryRecordListStatements } from "./list-plans.ts";
import { failedMeasurement, type Measurement, measure, medianOfRounds } from "./measure.ts";
import { explainRecorded, runCronOnce } from "./plans.ts";
import { runToEnd } from "./processes.ts";
import { messageOf, printReport, type Report, round } from "./report.ts";
import { scenarios } from "./scenarios.ts";
import {
  BCRYPT_COST,
  bundlePath,
  connections,
  keep,
  loginConnections,
  loginSeconds,
  plans,
  resultsPath,
  rounds,
  seconds,
  seedOnly,
  sizes,
  warmupSeconds,
} from "./settings.ts";
import { runScript, type Stage, setUpStage } from "./stage.ts";
import { evaluateTargets } from "./targets.ts";
import { workerdVersion } from "./workerd.ts";

/**
 * After a scenario that could not be served: the statements the Worker gave up on still run in
 * PostgreSQL, and more wait in the SQL endpoint's pool; they are cancelled until the database is
 * idle (at most a minute), so that the next scenario does not queue behind them.
 */
async function drain(stage: Stage): Promise<void> {
  for (let second = 0; second < 60; second++) {
    const [row] = await stage.sql(
      `select count(pg_cancel_backend(pid)) as busy from pg_stat_activity
       where datname = current_database() and pid <> pg_backend_pid() and state = 'active'`,
    );
    if (Number(row?.busy) === 0) return;
    await sleep(1_000);
  }
}

async function main(): Promise<void> {
  if (process.platform !== "linux") {
    throw new Error("the benchmark reads CPU times from /proc, so it runs on Linux only");
  }
  console.log("Building the Worker bundle...");
  await runToEnd("npm", ["run", "--silent", "build:worker"]);
  const bundle = readFileSync(bundlePath);
  // Cloudflare's size limit and wrangler's report are about the gzipped upload.
  const gzipKiB = gzipSync(bundle).length / 1024;

  // One stage per size, all serving side by side, so that every round measures every size within
  // minutes of the others: this machine's speed drifts by 10-40 % over a quarter of an hour.
  const stages: Stage[] = [];
  for (const users of sizes) {
    const stage = await setUpStage({ purpose: "bench", users, keep });
    stages.push(stage);
    if (stage.backend.kind === "pglite") {
      console.warn("Note: on PGlite the bench measures one size only, the smallest (no curve).");
      break;
    }
  }
  if (seedOnly) {
    console.log(
      keep
        ? "Seeded; BENCH_SEED_ONLY=1 stops here."
        : "BENCH_SEED_ONLY=1 without BENCH_KEEP: nothing kept.",
    );
    return;
  }
  const lists = stages.map((stage) => scenarios(stage.seeded, stage.workerd.references));
  const runs = lists.map((list) => list.map((): Measurement[] => []));
  for (let round = 1; round <= rounds; round++) {
    for (const [s, stage] of stages.entries()) {
      for (const [index, scenario] of (lists[s] ?? []).entries()) {
        const measured = runs[s]?.[index];
        if (measured?.some((m) => m.failure !== undefined)) continue;
        try {
          if (scenario.chains?.length === 0) {
            console.log(`Logging in ${scenario.connections} sessions for ${scenario.name}...`);
            scenario.chains = await openChains(
              stage.workerd.base,
              stage.seeded.login,
              scenario.connections,
            );
          }
          console.log(
            `Round ${round}/${rounds}, ${stage.users.toLocaleString("en")} users: ${scenario.name}, ${scenario.connections} connections, about ${scenario.seconds} s after ${warmupSeconds} s of warm-up...`,
          );
          measured?.push(await measure(stage.workerd, stage.database, scenario));
        } catch (error) {
          // A request that cannot be served at this size (timeouts under load, say) is the
          // curve's finding, not the end of the run: the scenario is not measured there again.
          if (messageOf(error) === "interrupted") throw error;
          const failure = messageOf(error).split("\n")[0] ?? "";
          console.log(`  could not be measured: ${failure.slice(0, 300)}`);
          measured?.push(failedMeasurement(scenario, failure));
          await recordAs(stage.database, null);
          await drain(stage);
        }
      }
    }
  }
  const curve = stages.map((stage, s) => ({
    users: stage.users,
    seededUsers: 0,
    measured: (runs[s] ?? []).map(medianOfRounds),
  }));
  for (const [s, stage] of stages.entries()) {
    const point = curve[s];
    if (point) point.seededUsers = await countUsers(stage.sql);
  }

  const largest = stages.at(-1);
  let plansReport: Report["plans"];
  let cron: Report["cron"];
  if (plans && largest) {
    console.log("Requesting each other list once, for its plan...");
    await tryRecordListStatements(largest);
    console.log(`Running one batch of each of the cron's deletes...`);
    cron = await runCronOnce(largest.database);
    console.log(`Explaining the statements at ${largest.users.toLocaleString("en")} users...`);
    plansReport = {
      scenarios: await explainRecorded(
        largest.database,
        largest.backend.kind === "pg" ? largest.backend.url : undefined,
      ),
      scale: scaleOf(largest.users),
    };
  }

  const backend = stages[0]?.backend.kind ?? "pg";
  const description = stages[0]?.description ?? "";
  const targets = evaluateTargets({ curve, gzipKiB, plans: plansReport });
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.version,
    workerd: workerdVersion(),
  };
  const results = {
    date: new Date().toISOString(),
    machine,
    settings: {
      database: description,
      sizes: curve.map((point) => point.users),
      seconds,
      rounds,
      connections,
      warmupSeconds,
      login: { seconds: loginSeconds, connections: loginConnections, bcryptCost: BCRYPT_COST },
    },
    bundle: { bytes: bundle.length, gzipKiB: round(gzipKiB, 1) },
    curve,
    targets,
    cron: cron ?? null,
    plans: plansReport ?? null,
  };
  printReport({
    machine,
    database: description,
    backend,
    gzipKiB,
    curve,
    targets,
    plans: plansReport,
    cron,
    plansNote: plans ? undefined : "Query plans and the cron: skipped (BENCH_PLANS=0).",
  });
  await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nWrote ${resultsPath}`);
}

const scaleOf = (users: number) =>
  `${users.toLocaleString("en")} users, ${(users * PER_USER.refreshTokens).toLocaleString("en")} refresh tokens, ${(users * PER_USER.events).toLocaleString("en")} security events, ${(users * PER_USER.throttles).toLocaleString("en")} throttle windows`;

runScript("Benchmark", main);
