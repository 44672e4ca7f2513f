// `npm run bench`: measures the Worker on workerd, the runtime Cloudflare Workers run on, against
// a real PostgreSQL through the same SQL-over-HTTP path it uses against Neon (BENCHMARKS.md), and
// checks it against the targets of targets.ts. One run builds the bundle, starts the database side
// (database-server.ts: the SQL endpoint, which counts the round trips and records the statements
// it is sent) and workerd (with two reference Workers beside the API), seeds SEED_USERS users (an
// admin and one user through the API, the rest with SQL), loads each scenario of scenarios.ts with
// autocannon, counts the users, then (unless BENCH_PLANS=0) grows the database and EXPLAINs every
// statement the scenarios sent (plans.ts). It prints the table, the plans and every target as
// PASS/MISS, and writes it all to bench-results.json. Throughput targets are ratios to the floors
// of the same run, because absolute numbers from a shared 2-core machine say little on their own.
// Everything listens on 127.0.0.1 and everything started here is stopped on the way out, on errors
// and Ctrl-C too. Settings: see settings.ts. Where the CPU goes: `npm run bench:profile`.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { countUsers } from "./bulk.ts";
import { openChains } from "./chains.ts";
import { chooseBackend, dropScratchDatabase, startDatabase } from "./database.ts";
import { abortLoad, type Measurement, measure, medianOfRounds } from "./measure.ts";
import { explainRecorded, growForPlans, PLAN_USERS, planTokens } from "./plans.ts";
import { runToEnd, stopAll } from "./processes.ts";
import { messageOf, printReport, type Report, round } from "./report.ts";
import { scenarios } from "./scenarios.ts";
import { SEED_USERS, seed } from "./seed.ts";
import {
  BCRYPT_COST,
  bundlePath,
  connections,
  databaseServerUrl,
  loginConnections,
  loginSeconds,
  plans,
  resultsPath,
  rounds,
  seconds,
  warmupSeconds,
} from "./settings.ts";
import { evaluateTargets } from "./targets.ts";
import { startWorkerd, workerdVersion } from "./workerd.ts";

// What cleanUp() must undo besides the processes, filled in as main() gets further.
let tempDir: string | undefined;
let scratchDatabase: { serverUrl: string; name: string } | undefined;
let interrupted = false;

async function main(): Promise<void> {
  if (process.platform !== "linux") {
    throw new Error("the benchmark reads CPU times from /proc, so it runs on Linux only");
  }
  console.log("Building the Worker bundle...");
  await runToEnd("npm", ["run", "--silent", "build:worker"]);
  const bundle = readFileSync(bundlePath);
  // Cloudflare's size limit and wrangler's report are about the gzipped upload.
  const gzipKiB = gzipSync(bundle).length / 1024;

  tempDir = await mkdtemp(join(tmpdir(), "user-api-bench-"));
  const { backend, description } = await chooseBackend(databaseServerUrl);
  const databaseName = `bench_${randomBytes(6).toString("hex")}`;
  if (backend.kind === "pg") scratchDatabase = { serverUrl: backend.url, name: databaseName };
  const database = await startDatabase(backend, databaseName);
  console.log(`Database: ${description}, scratch database "${databaseName}".`);

  const secretAdminKey = randomBytes(24).toString("base64url");
  const workerd = await startWorkerd(tempDir, {
    DATABASE_URL: `postgres://bench:${database.secret}@sql-endpoint/${databaseName}`,
    NEON_FETCH_ENDPOINT: database.sqlUrl,
    JWT_SECRET: randomBytes(48).toString("base64url"),
    BCRYPT_COST: String(BCRYPT_COST),
    SECRET_ADMIN_KEY: secretAdminKey,
    MAIL_PROVIDER: "log",
  });

  console.log(
    `Seeding ${SEED_USERS} users: an admin and one user through the API (bcrypt cost ${BCRYPT_COST}), the rest with SQL...`,
  );
  const seeded = await seed(workerd.base, secretAdminKey, database);

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

let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    await stopAll();
    if (scratchDatabase) await dropScratchDatabase(scratchDatabase.serverUrl, scratchDatabase.name);
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    interrupted = true;
    abortLoad();
    console.error(`\n${signal}: stopping...`);
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  await main();
  await cleanUp();
} catch (error) {
  if (!interrupted) {
    console.error(`\nBenchmark failed: ${messageOf(error)}`);
    await cleanUp();
    process.exit(1);
  }
}
