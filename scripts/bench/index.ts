// `npm run bench`: measures the Worker on workerd, the runtime Cloudflare Workers run on, against
// a real PostgreSQL through the same SQL-over-HTTP path it uses against Neon (docs/architecture.md,
// "Performance, measured honestly"). One run builds the bundle, starts the database side
// (database-server.ts: SQL endpoint plus a proxy that counts round trips) and workerd, seeds users
// through the API, loads each endpoint with autocannon, then prints every result as a ratio to the
// floors of the same run (no database; one trivial query), because absolute numbers from a shared
// 2-core machine say little on their own. Everything listens on 127.0.0.1 and everything started
// here is stopped on the way out, on errors and Ctrl-C too. Settings: see settings.ts.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chooseBackend, dropScratchDatabase, startDatabase } from "./database.ts";
import { abortLoad, measure, relativeToFloors, type Scenario } from "./measure.ts";
import { runToEnd, stopAll } from "./processes.ts";
import { messageOf, printReport, round } from "./report.ts";
import { SEARCH, SEED_USERS, seed } from "./seed.ts";
import {
  BCRYPT_COST,
  bundlePath,
  connections,
  databaseServerUrl,
  loginConnections,
  loginSeconds,
  resultsPath,
  seconds,
  warmupSeconds,
} from "./settings.ts";
import { startWorkerd, workerdVersion } from "./workerd.ts";

// What cleanUp() must undo besides the processes, filled in as main() gets further.
let tempDir: string | undefined;
let scratchDatabase: { serverUrl: string; name: string } | undefined;
let interrupted = false;

async function main(): Promise<void> {
  if (process.platform !== "linux") {
    throw new Error("the benchmark reads workerd's CPU time from /proc, so it runs on Linux only");
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

  console.log(`Seeding an admin and ${SEED_USERS} users through the API (bcrypt cost 10)...`);
  const seeded = await seed(workerd.base, secretAdminKey);

  const admin = seeded.adminToken;
  // Round-trip budgets from docs/architecture.md: none without a database, the one trivial query,
  // at most 2 for an authenticated request, and 1 (plus one bcrypt) for a login.
  const get = (name: string, path: string, tripBudget: number, token?: string): Scenario => ({
    name,
    method: "GET",
    path,
    token,
    tripBudget,
    connections,
    seconds,
  });
  const scenarios: Scenario[] = [
    get("GET /health", "/health", 0),
    get("GET /health/ready", "/health/ready", 1),
    get("GET /users/me", "/users/me", 2, admin),
    get("GET /users/{id}", `/users/${seeded.otherUserId}`, 2, admin),
    get("GET /users?per_page=20", "/users?per_page=20", 2, admin),
    get(`GET /users?q=${SEARCH}`, `/users?q=${SEARCH}`, 2, admin),
    {
      name: "POST /auth/login",
      method: "POST",
      path: "/auth/login",
      body: JSON.stringify(seeded.login),
      tripBudget: 1,
      hashesPassword: true,
      connections: loginConnections,
      seconds: loginSeconds,
    },
  ];

  const rates: Awaited<ReturnType<typeof measure>>[] = [];
  for (const scenario of scenarios) {
    console.log(
      `Measuring ${scenario.name}: ${scenario.connections} connections, about ${scenario.seconds} s after ${warmupSeconds} s of warm-up...`,
    );
    rates.push(await measure(workerd, database.countUrl, scenario));
  }
  const measured = relativeToFloors(rates);

  const results = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "unknown",
      node: process.version,
      workerd: workerdVersion(),
    },
    settings: {
      database: description,
      seconds,
      connections,
      warmupSeconds,
      login: { seconds: loginSeconds, connections: loginConnections, bcryptCost: BCRYPT_COST },
      seededUsers: SEED_USERS,
    },
    bundle: { bytes: bundle.length, gzipKiB: round(gzipKiB, 1) },
    endpoints: measured,
  };
  printReport(results.machine, description, gzipKiB, measured);
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
