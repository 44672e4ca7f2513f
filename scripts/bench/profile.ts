// `npm run bench:profile -- [--endpoint] [paths...]`: where the Worker's CPU goes, path by path,
// reproducibly. It builds an unminified bundle (dist/worker.profile.js, function names intact),
// starts the database side as `npm run bench` does, workerd with that bundle and its DevTools
// inspector, and seeds the same users. For each path: a warm-up, a plain run that reads workerd's
// user and system CPU per request, then a run during which V8's sampling profiler runs in the
// Worker's isolate (through the inspector, a sample every 50 µs): profiles/<slug>.cpuprofile, which
// Chrome DevTools opens, and the top functions by self and by inclusive time. A path may hold
// {other} or {self} (seeded user ids) and start with "PATCH " (body {"first_name":"Bench"}); every
// request carries the admin's token. With --endpoint the SQL endpoint runs under Node's --cpu-prof
// too; once it has stopped, its profile (profiles/endpoint/) is summarized over the paths' loads.
// Everything started here is stopped on the way out, on errors and Ctrl-C too.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import {
  bundleModules,
  type CpuProfile,
  newestProfile,
  printSummary,
  summarize,
  type Window,
} from "./cpuprofile.ts";
import { chooseBackend, dropScratchDatabase, startDatabase } from "./database.ts";
import { abortLoad } from "./measure.ts";
import { runToEnd, stopAll } from "./processes.ts";
import { closeInspector, profilePath, scenarioOf } from "./profile-path.ts";
import { messageOf } from "./report.ts";
import { SEED_USERS, seed } from "./seed.ts";
import {
  BCRYPT_COST,
  databaseServerUrl,
  profileBundlePath,
  profilesDir,
  root,
} from "./settings.ts";
import { freePort, startWorkerd } from "./workerd.ts";

const DEFAULT_PATHS = [
  "/health",
  "/health/ready",
  "/users/me",
  "/users/{other}",
  "/users?per_page=20&q=sophia",
  "PATCH /users/{other}",
];

// What cleanUp() must undo besides the processes, filled in as main() gets further.
let tempDir: string | undefined;
let scratchDatabase: { serverUrl: string; name: string } | undefined;
let interrupted = false;

async function main(): Promise<void> {
  if (process.platform !== "linux") throw new Error("the profiler reads CPU times from /proc");
  const args = process.argv.slice(2);
  const endpoint = args.includes("--endpoint");
  const unknown = args.filter((arg) => arg.startsWith("--") && arg !== "--endpoint");
  if (unknown.length > 0) throw new Error(`unknown option ${unknown.join(", ")}`);
  const given = args.filter((arg) => !arg.startsWith("--"));
  const paths = given.length > 0 ? given : DEFAULT_PATHS;
  const startedAt = Date.now();
  const endpointDir = join(profilesDir, "endpoint");
  await mkdir(endpoint ? endpointDir : profilesDir, { recursive: true });

  console.log("Building the unminified Worker bundle...");
  await runToEnd("npm", ["run", "--silent", "build:worker", "--", "--profile"]);
  tempDir = await mkdtemp(join(tmpdir(), "user-api-profile-"));
  const { backend, description } = await chooseBackend(databaseServerUrl);
  const databaseName = `bench_${randomBytes(6).toString("hex")}`;
  if (backend.kind === "pg") scratchDatabase = { serverUrl: backend.url, name: databaseName };
  const database = await startDatabase(
    backend,
    databaseName,
    endpoint ? { cpuProfileDir: endpointDir } : {},
  );
  console.log(`Database: ${description}, scratch database "${databaseName}".`);

  const secretAdminKey = randomBytes(24).toString("base64url");
  const inspectorPort = await freePort();
  const workerd = await startWorkerd(
    tempDir,
    {
      DATABASE_URL: `postgres://bench:${database.secret}@sql-endpoint/${databaseName}`,
      NEON_FETCH_ENDPOINT: database.sqlUrl,
      JWT_SECRET: randomBytes(48).toString("base64url"),
      BCRYPT_COST: String(BCRYPT_COST),
      SECRET_ADMIN_KEY: secretAdminKey,
      MAIL_PROVIDER: "log",
    },
    { bundle: profileBundlePath, inspectorPort },
  );
  console.log(`Seeding ${SEED_USERS} users...`);
  const seeded = await seed(workerd.base, secretAdminKey, database);

  const locate = bundleModules(profileBundlePath, "worker.js");
  // The spans of the paths' loads, warm-ups included: what the endpoint's summary covers.
  const loads: Window[] = [];
  for (const spec of paths) {
    loads.push(await profilePath(workerd, inspectorPort, scenarioOf(spec, seeded), locate));
  }

  if (endpoint) {
    // Node writes the profile as the process exits, so it is read after everything has stopped.
    await stopAll();
    const file = await newestProfile(endpointDir, startedAt);
    if (!file)
      throw new Error(`the SQL endpoint wrote no profile to ${relative(root, endpointDir)}`);
    const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
    const whole = summarize(profile);
    console.log(
      `\n=== SQL endpoint (database-server.ts) during the paths' loads: ${relative(root, file)} ===\n  (its whole life, start-up and seeding included, had ${whole.busy.toLocaleString("en")} non-idle samples; DevTools shows them all)`,
    );
    printSummary(summarize(profile, undefined, loads));
  }
}

let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    closeInspector();
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
    console.error(`\nProfiling failed: ${messageOf(error)}`);
    await cleanUp();
    process.exit(1);
  }
}
