import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { gzipSync } from "node:zlib";
import { countUsers } from "./bulk.ts";
import { openChains } from "./chains.ts";
import { type Measurement, measure, medianOfRounds } from "./measure.ts";
import { explainRecorded, growForPlans, PLAN_USERS, planTokens } from "./plans.ts";
import { runToEnd } from "./processes.ts";
import { printReport, type Report, round } from "./report.ts";
import { scenarios } from "./scenarios.ts";
import { SEED_USERS } from "./seed.ts";
import {
  BCRYPT_COST,
  bundlePath,
  connections,
  loginConnections,
  loginSeconds,
  plans,
  resultsPath,
  rounds,
  seconds,
  warmupSeconds,
} from "./settings.ts";
import { runScript, setUpStage } from "./stage.ts";
import { evaluateTargets } from "./targets.ts";
import { workerdVersion } from "./workerd.ts";

async function main(): Promise<void> {
  if (process.platform !== "linux") {
    throw new Error("the benchmark reads CPU times from /proc, so it runs on Linux only");
  }
  console.log("Building the Worker bundle...");
  await runToEnd("npm", ["run", "--silent", "build:worker"]);
  const bundle = readFileSync(bundlePath);
  // Cloudflare's size limit and wrangler's report are about the gzipped upload.
  const gzipKiB = gzipSync(bundle).length / 1024;

  const { backend, description, database, workerd, seeded } = await setUpStage({
    purpose: "bench",
  });

  const list = scenarios(seeded, workerd.references);
  const runs: Measurement[][] = list.map(() => []);
  for (let round = 1; round <= rounds; round++) {
    for (const [index, scenario] of list.entries()) {
      if (scenario.chains?.length === 0) {
        console.log(`Logging in ${scenario.connections} sessions for ${scenario.name}...`);
        scenario.chains = await openChains(workerd.base, seeded.login, scenario.connections);
      }
      console.log(
        `Round ${round}/${rounds}: ${scenario.name}, ${scenario.connections} connections, about ${scenario.seconds} s after ${warmupSeconds} s of warm-up...`,
      );
      runs[index]?.push(await measure(workerd, database, scenario));
    }
  }
  const measured = runs.map(medianOfRounds);
  const seededUsers = await countUsers(database);

  let plansReport: Report["plans"];
  let plansNote: string | undefined;
  if (plans) {
    const tokens = planTokens(backend);
    const scale = `${PLAN_USERS.toLocaleString("en")} users, ${tokens.toLocaleString("en")} refresh tokens`;
    console.log(`Growing the database to ${scale} for the query plans...`);
    await growForPlans(database, tokens);
    plansReport = { scenarios: await explainRecorded(database), scale };
    if (backend.kind === "pglite") {
      plansNote = `Note: on PGlite the plans use ${tokens.toLocaleString("en")} refresh tokens, not 1,000,000 (insert time and memory).`;
    }
  } else {
    plansNote = "Query plans: skipped (BENCH_PLANS=0).";
  }

  const targets = evaluateTargets({
    measured,
    seededUsers,
    minimumUsers: SEED_USERS,
    gzipKiB,
    plans: plansReport,
  });
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
      seconds,
      rounds,
      connections,
      warmupSeconds,
      login: { seconds: loginSeconds, connections: loginConnections, bcryptCost: BCRYPT_COST },
      seedUsers: SEED_USERS,
    },
    bundle: { bytes: bundle.length, gzipKiB: round(gzipKiB, 1) },
    seededUsers,
    endpoints: measured,
    targets,
    plans: plansReport ?? null,
  };
  printReport({
    machine,
    database: description,
    backend: backend.kind,
    gzipKiB,
    measured,
    targets,
    plans: plansReport,
    plansNote,
  });
  await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nWrote ${resultsPath}`);
}

runScript("Benchmark", main);
