// `npm run dev`: the Worker under `wrangler dev`, with its database. DATABASE_URL in .dev.vars
// picks the database by its host: `pglite` (embedded, kept in .data/pglite, or in PGLITE_DIR),
// `localhost` / `127.0.0.1` / `::1` (a local PostgreSQL server), anything else (Neon, used
// directly). For the first two the local SQL endpoint stands in for Neon's HTTP endpoint: the
// Worker gets its URL as NEON_FETCH_ENDPOINT, and DATABASE_URL with the endpoint's secret of this
// run as its password, through a file only this user can read (never on the command line, which
// every local user can read in /proc). Extra arguments are passed on to `wrangler dev`.
//
// It tells the truth: a busy port or a PGlite folder held by another dev server stops it before
// anything starts; the banner appears only once this run's own Worker answers (it carries this
// run's id); and when wrangler or this process dies, the rest is stopped too.
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  databaseTargetOf,
  emailLinkVars,
  ensureDevVars,
  readDevVars,
  redactUrl,
} from "./dev-vars.ts";
import { ensureDevVarsKeySet } from "./key-set.ts";
import { nodeForWrangler, wranglerEnv } from "./node-runtime.ts";
import { type SqlEndpoint, startSqlEndpoint } from "./sql-endpoint/index.ts";

const root = resolve(import.meta.dirname, "..");
const devVarsFile = resolve(root, ".dev.vars");
const pgliteDataDir = resolve(root, process.env.PGLITE_DIR || ".data/pglite");
const wranglerBin = resolve(root, "node_modules/wrangler/bin/wrangler.js");

let endpoint: SqlEndpoint | undefined;
let secretsDir: string | undefined;
let wrangler: ChildProcess | undefined;
let wranglerExit: Promise<void> | undefined;
let stopping = false;
// Windows has no process groups to signal.
const useProcessGroup = process.platform !== "win32";

async function main(): Promise<void> {
  const port = devPort();
  await assertPortFree(port);

  if (await ensureDevVars(devVarsFile, resolve(root, ".dev.vars.example"))) {
    console.log("Created .dev.vars from .dev.vars.example, with a fresh random JWT_SECRET.");
  }
  if (await ensureDevVarsKeySet(devVarsFile)) {
    console.log("Added a fresh local JWT_SIGNING_KEYS to .dev.vars.");
  }
  const vars = await readDevVars(devVarsFile);
  const databaseUrl = vars.DATABASE_URL;
  if (!databaseUrl) throw new Error(".dev.vars has no DATABASE_URL; see .dev.vars.example");
  const target = databaseTargetOf(databaseUrl);

  let database: string;
  // What the Worker gets as DATABASE_URL; through the local endpoint, it carries its secret.
  let workerDatabaseUrl: string | undefined;
  if (target.kind === "remote") {
    database = `${redactUrl(databaseUrl)} (remote, used directly)`;
    console.log(
      "DATABASE_URL is a remote database: `npm run dev` does not migrate it; run `npm run db:migrate`.",
    );
  } else {
    endpoint = await startSqlEndpoint({
      backend:
        target.kind === "pglite"
          ? { kind: "pglite", dataDir: pgliteDataDir }
          : { kind: "pg", url: databaseUrl },
      migrationsFolder: resolve(root, "drizzle"),
      databases: [target.name],
      port: sqlEndpointPort(),
      log: (line) => console.log(line),
    });
    workerDatabaseUrl = withPassword(databaseUrl, endpoint.secret);
    await applyMigrations(endpoint.url, workerDatabaseUrl);
    console.log(`Migrations applied to database "${target.name}".`);
    database =
      target.kind === "pglite"
        ? `embedded PGlite, ${shortPath(resolve(pgliteDataDir, target.name))}`
        : `PostgreSQL ${redactUrl(databaseUrl)}`;
    database += ` (through the local SQL endpoint ${endpoint.url})`;
  }

  const base = `http://127.0.0.1:${port}`;
  const runId = randomUUID();
  const args = [
    wranglerBin,
    "dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    // The hotkey session would read the terminal; this script owns Ctrl-C and passes it on.
    "--show-interactive-dev-session=false",
    // GET /health answers with this in X-Dev-Run: the banner waits for this run's own Worker.
    "--var",
    `DEV_RUN_ID:${runId}`,
  ];
  // One readable line per request (`200 GET /users/{id} 12ms db=1/3ms`) instead of production's
  // JSON, unless .dev.vars asks for a form of its own.
  if (!vars.LOG_FORMAT) args.push("--var", "LOG_FORMAT:pretty");
  for (const [name, url] of Object.entries(emailLinkVars(vars, base))) {
    args.push("--var", `${name}:${url}`);
  }
  if (endpoint && workerDatabaseUrl) {
    // --var bindings override .dev.vars; the endpoint's URL is no secret.
    args.push("--var", `NEON_FETCH_ENDPOINT:${endpoint.url}`);
    // Env files replace .dev.vars for wrangler (each later file overriding the earlier), so it
    // reads .dev.vars, then DATABASE_URL with this run's secret from a 0600 file in a 0700 folder.
    args.push("--env-file", devVarsFile, "--env-file", await secretEnvFile(workerDatabaseUrl));
  }
  args.push(...process.argv.slice(2));
  const node = nodeForWrangler();
  // With that variable false, wrangler would ignore the env files, the secret among them.
  const childEnv = { ...wranglerEnv(), CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true" };
  const child = useProcessGroup
    ? // Through the guard: its own process group (wrangler runs a second node process and workerd
      // below it, and signalling the group reaches them all), which ends itself with this process.
      spawn(node, [resolve(import.meta.dirname, "dev-guard.mjs"), node, ...args], {
        cwd: root,
        env: childEnv,
        stdio: ["pipe", "inherit", "inherit"],
        detached: true,
      })
    : spawn(node, args, { cwd: root, env: childEnv, stdio: ["ignore", "inherit", "inherit"] });
  wrangler = child;
  wranglerExit = new Promise((resolveExit) => {
    child.once("exit", (code, signal) => {
      resolveExit();
      if (stopping) return;
      console.error(
        `wrangler dev stopped on its own (${signal ?? `exit code ${code}`}): stopping the dev server.`,
      );
      signalWrangler("SIGTERM");
      void stop(code ? code : 1);
    });
  });
  child.once("error", (error) => {
    console.error(`could not start wrangler: ${error.message}`);
    void stop(1);
  });
  console.log(`wrangler dev starting (process group ${child.pid}, run ${runId})`);

  if (await waitForOwnWorker(base, runId, () => child.exitCode === null && !child.signalCode)) {
    const line = "─".repeat(72);
    console.log(
      [
        "",
        line,
        "  User management API is running",
        `    API          ${base}`,
        `    Swagger UI   ${base}/apidocs`,
        `    OpenAPI      ${base}/openapi.json`,
        `    Database     ${database}`,
        "  Ctrl-C stops everything.",
        line,
        "",
      ].join("\n"),
    );
  }
}

/** A path inside the project relative to it, any other in full. */
function shortPath(path: string): string {
  const inside = relative(root, path);
  return inside.startsWith("..") ? path : inside;
}

function devPort(): number {
  const value = process.env.PORT || "8787";
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`PORT must be a port number, not ${JSON.stringify(value)}`);
  }
  return port;
}

/** Fails at once when something already listens on the port, rather than after a banner. */
async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolvePromise, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new Error(
              `Port ${port} is already in use (another dev server?). Stop that, or pick another port: PORT=8788 npm run dev`,
            )
          : error,
      );
    });
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolvePromise()));
  });
}

function sqlEndpointPort(): number {
  const value = process.env.SQL_ENDPOINT_PORT;
  if (value === undefined || value === "") return 0;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`SQL_ENDPOINT_PORT must be a port number, not ${JSON.stringify(value)}`);
  }
  return port;
}

/** Writes DATABASE_URL for wrangler where only this user can read it; removed at stop. */
async function secretEnvFile(databaseUrl: string): Promise<string> {
  secretsDir = await mkdtemp(join(tmpdir(), "user-api-dev-")); // mode 0700
  const file = join(secretsDir, "worker.env");
  await writeFile(file, `DATABASE_URL='${databaseUrl}'\n`, { mode: 0o600, flag: "wx" });
  return file;
}

function withPassword(databaseUrl: string, password: string): string {
  const url = new URL(databaseUrl);
  url.password = password;
  return url.toString();
}

// The endpoint creates and migrates a database on its first request; make that happen now, so
// a broken migration shows up here rather than in the Worker's first query.
async function applyMigrations(endpointUrl: string, databaseUrl: string): Promise<void> {
  const response = await fetch(endpointUrl, {
    method: "POST",
    headers: {
      "Neon-Connection-String": databaseUrl,
      "Neon-Raw-Text-Output": "true",
      "Neon-Array-Mode": "true",
    },
    body: JSON.stringify({ query: "select 1", params: [] }),
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new Error(`could not prepare the database: ${body.message ?? `HTTP ${response.status}`}`);
  }
  await response.body?.cancel();
}

/** Waits until GET /health answers from this run's Worker (its X-Dev-Run is this run's id). */
async function waitForOwnWorker(base: string, runId: string, alive: () => boolean) {
  const started = Date.now();
  let warned = false;
  let last = "no answer yet";
  let delay = 250;
  while (alive() && !stopping) {
    try {
      const response = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      const answeredBy = response.headers.get("x-dev-run");
      if (response.ok && answeredBy === runId) return true;
      last = response.ok
        ? `a Worker of another run answers (${answeredBy})`
        : `HTTP ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (!warned && Date.now() - started > 60_000) {
      warned = true;
      console.warn(`Still waiting for this run's Worker at ${base}/health (last: ${last}).`);
    }
    // Back off: a failing /health logs an error in wrangler's output each time.
    await sleep(delay);
    delay = Math.min(delay * 2, 5_000);
  }
  return false;
}

/** Signals wrangler's whole process group (just wrangler on Windows). */
function signalWrangler(signal: NodeJS.Signals): void {
  const pid = wrangler?.pid;
  if (pid === undefined) return;
  try {
    if (useProcessGroup) process.kill(-pid, signal);
    else wrangler?.kill(signal);
  } catch {
    // ESRCH: nothing left to signal.
  }
}

async function stop(exitCode: number, signal?: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (wrangler && wrangler.exitCode === null && wrangler.signalCode === null) {
    // wrangler's launcher passes SIGINT/SIGTERM on and shuts workerd down itself; the group
    // signals only sweep up what it leaves behind.
    wrangler.kill(signal === "SIGINT" ? "SIGINT" : "SIGTERM");
    const killer = setTimeout(() => signalWrangler("SIGKILL"), 10_000);
    await wranglerExit;
    clearTimeout(killer);
    signalWrangler("SIGTERM");
  }
  await endpoint?.close().catch((error: unknown) => console.error(error));
  if (secretsDir) await rm(secretsDir, { recursive: true, force: true });
  process.exit(exitCode);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => void stop(0, signal));
}
// The SQL endpoint lives in this process: if it (or anything here) fails, say so and stop wrangler
// too, rather than leave a Worker whose database is gone.
for (const event of ["uncaughtException", "unhandledRejection"] as const) {
  process.on(event, (error: unknown) => {
    console.error(
      `The dev server failed (${error instanceof Error ? error.message : String(error)}): stopping wrangler and the SQL endpoint.`,
    );
    void stop(1);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  void stop(1);
});
