// `npm run bench`: measures the Worker on workerd, the runtime Cloudflare Workers run on, against
// a real PostgreSQL through the same SQL-over-HTTP path it uses against Neon (DESIGN.md,
// "Performance, measured honestly"). One run builds the bundle, starts the database side
// (scripts/bench-database.ts: SQL endpoint plus a proxy that counts round trips) and workerd,
// seeds users through the API, loads each endpoint with autocannon, then prints every result as
// a ratio to the floors of the same run (no database; one trivial query), because absolute
// numbers from a shared 2-core machine say little on their own. Everything listens on 127.0.0.1
// and everything started here is stopped on the way out, on errors and Ctrl-C too.
//
// Settings (environment): BENCH_SECONDS (8) per endpoint, BENCH_CONNECTIONS (32), and
// BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/test), the server to create a scratch
// database on; embedded PGlite stands in when it does not answer.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import autocannon, { type Instance, type Result } from "autocannon";
import pg from "pg";
import { redactUrl } from "./dev-vars.ts";
import type { SqlEndpointOptions } from "./sql-endpoint.ts";

const root = resolve(import.meta.dirname, "..");
const bundlePath = join(root, "dist", "worker.js");
const workerdBin = join(root, "node_modules", "workerd", "bin", "workerd");
const resultsPath = join(root, "bench-results.json");

const seconds = positiveFromEnv("BENCH_SECONDS", 8);
const connections = Math.round(positiveFromEnv("BENCH_CONNECTIONS", 32));
const databaseServerUrl =
  process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
// Long enough for V8 to optimise the hot paths and for the connection pools to fill.
const warmupSeconds = Math.min(2, seconds);
// Cost 10 is what production runs; a login is then ~70 ms of CPU on a single-threaded runtime,
// so a few connections already saturate it and a shorter run gives plenty of samples.
const BCRYPT_COST = 10;
const loginConnections = 4;
const loginSeconds = Math.max(2, Math.round(seconds / 2));
const SEED_USERS = 200;
const SEED_PARALLELISM = 4;
const FIRST_NAMES = ["Olivia", "Liam", "Emma", "Noah", "Amelia", "Elijah", "Sophia", "Lucas"];
const LAST_NAMES = ["Smith", "Garcia", "Müller", "Rossi", "Dubois", "Tanaka", "Kowalski"];
// Matches one first name in eight: 25 of the 200 seeded users, more than the default page of 20.
const SEARCH = "sophia";

type Backend = SqlEndpointOptions["backend"];

type Scenario = {
  name: string;
  method: "GET" | "POST";
  path: string;
  token?: string;
  body?: string;
  connections: number;
  seconds: number;
  /** DESIGN.md's budget of database round trips per request */
  tripBudget: number;
  /** bcrypt dominates its CPU, so the 1 ms CPU budget does not apply */
  hashesPassword?: boolean;
};

type Measurement = {
  name: string;
  connections: number;
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  relativeToHealth: number;
  relativeToReady: number;
  latencyMs: { p50: number; p99: number };
  non2xx: number;
  workerCpuMsPerRequest: number;
  /** DESIGN.md's budget; null where bcrypt is most of the work */
  workerCpuBudgetMs: number | null;
  databaseRoundTripsPerRequest: number;
  databaseRoundTripBudget: number;
};

type Started = { child: ChildProcess; exited: Promise<void> };

// What cleanUp() must undo, filled in as main() gets further.
const started: Started[] = [];
let tempDir: string | undefined;
let scratchDatabase: { serverUrl: string; name: string } | undefined;
let running: Instance | undefined;
let workerdOutput = "";
let interrupted = false;

function positiveFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number, not ${JSON.stringify(text)}`);
  }
  return value;
}

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
  const database = await startDatabase(backend);
  console.log(`Database: ${description}, scratch database "${databaseName}".`);

  const secretAdminKey = randomBytes(24).toString("base64url");
  const workerd = await startWorkerd(tempDir, {
    DATABASE_URL: `postgres://bench@sql-endpoint/${databaseName}`,
    NEON_FETCH_ENDPOINT: database.sqlUrl,
    JWT_SECRET: randomBytes(48).toString("base64url"),
    BCRYPT_COST: String(BCRYPT_COST),
    SECRET_ADMIN_KEY: secretAdminKey,
    MAIL_PROVIDER: "log",
  });

  console.log(`Seeding an admin and ${SEED_USERS} users through the API (bcrypt cost 10)...`);
  const seeded = await seed(workerd.base, secretAdminKey);

  const admin = seeded.adminToken;
  // Round-trip budgets from DESIGN.md: none without a database, the one trivial query, at most 2
  // for an authenticated request, and 1 (plus one bcrypt) for a login.
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

  const rates: Omit<Measurement, "relativeToHealth" | "relativeToReady">[] = [];
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
      workerd: execFileSync(workerdBin, ["--version"], { encoding: "utf8" }).trim(),
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

// ---------------------------------------------------------------------------------------------
// Processes

async function runToEnd(command: string, args: string[]): Promise<void> {
  const child = spawn(command, args, { cwd: root, stdio: "inherit" });
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} failed (${signal ?? code})`);
}

/**
 * Starts a process this script owns: cleanUp() stops it, by its pid. Its stdout is a pipe to read;
 * stderr is either shown as it comes or piped too.
 */
function startProcess(
  command: string,
  args: string[],
  stdio: { stdin: "pipe" | "ignore"; stderr: "pipe" | "inherit" },
) {
  const child = spawn(command, args, {
    cwd: root,
    stdio: [stdio.stdin, "pipe", stdio.stderr],
    // Its own process group, so Ctrl-C reaches only this script, which then stops the children
    // in order (workerd before the database it is querying).
    detached: true,
  });
  const exited = new Promise<void>((resolveExit) => {
    child.once("exit", () => resolveExit());
    child.once("error", () => resolveExit());
  });
  started.push({ child, exited });
  return child;
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

async function stopProcess({ child, exited }: Started): Promise<void> {
  if (!isRunning(child)) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

async function chooseBackend(url: string): Promise<{ backend: Backend; description: string }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return { backend: { kind: "pg", url }, description: `PostgreSQL at ${redactUrl(url)}` };
  } catch (error) {
    console.warn(
      `Note: ${redactUrl(url)} does not answer (${messageOf(error)}); falling back to embedded PGlite. Its numbers are not comparable with PostgreSQL's.`,
    );
    return { backend: { kind: "pglite" }, description: "embedded PGlite (fallback)" };
  } finally {
    await client.end().catch(() => {});
  }
}

async function startDatabase(backend: Backend): Promise<{ sqlUrl: string; countUrl: string }> {
  const child = startProcess(
    process.execPath,
    ["--import", "tsx", join(root, "scripts", "bench-database.ts"), JSON.stringify(backend)],
    // Its stdin stays open while this script lives: the child's way to notice a parent that died.
    { stdin: "pipe", stderr: "inherit" },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, "exit").then(() => {
    throw new Error("the database process stopped before it was ready");
  });
  const [line] = (await Promise.race([once(lines, "line"), exited])) as [string];
  lines.close();
  return JSON.parse(line) as { sqlUrl: string; countUrl: string };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const address = server.address();
  await new Promise((resolveClose) => server.close(resolveClose));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

function workerdConfig(port: number, bindings: Record<string, string>): string {
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(
    readFileSync(join(root, "wrangler.toml"), "utf8"),
  )?.[1];
  if (!compatibilityDate) throw new Error("wrangler.toml has no compatibility_date");
  // JSON string literals are valid Cap'n Proto text literals for these ASCII values.
  const text = (value: string) => JSON.stringify(value);
  const bindingList = Object.entries(bindings)
    .map(([name, value]) => `    (name = ${text(name)}, text = ${text(value)}),`)
    .join("\n");
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "api", worker = .api),
    # workerd's default outbound refuses private addresses; the Worker needs only loopback,
    # where the SQL endpoint's proxy listens.
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "api")],
);

const api :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = ${text(compatibilityDate)},
  bindings = [
${bindingList}
  ],
  globalOutbound = "loopback",
);
`;
}

async function startWorkerd(
  dir: string,
  bindings: Record<string, string>,
): Promise<{ base: string; pid: number }> {
  const port = await freePort();
  await copyFile(bundlePath, join(dir, "worker.js"));
  const configPath = join(dir, "bench.capnp");
  await writeFile(configPath, workerdConfig(port, bindings));
  const child = startProcess(workerdBin, ["serve", configPath], {
    stdin: "ignore",
    stderr: "pipe",
  });
  // Kept for error messages only: workerd explains a bad config, and the Worker logs its 500s.
  const keep = (chunk: Buffer) => {
    workerdOutput = (workerdOutput + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (!isRunning(child)) throw new Error(`workerd stopped on start:\n${workerdOutput}`);
    try {
      const response = await fetch(`${base}/health`);
      await response.body?.cancel();
      if (response.ok && child.pid !== undefined) return { base, pid: child.pid };
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`workerd did not answer ${base}/health within 20 s:\n${workerdOutput}`);
}

const clockTicksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));

/** User plus system CPU time of the whole process (all its threads), in seconds. */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields 14 and 15 (utime, stime); the command name before them may contain spaces, so count
  // from the ")" that closes it: the field after it is field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

// ---------------------------------------------------------------------------------------------
// Seeding, through the public API like any client

async function call(
  base: string,
  method: "GET" | "POST",
  path: string,
  expectedStatus: number,
  body?: unknown,
): Promise<unknown> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== expectedStatus) {
    throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return JSON.parse(text);
}

async function seed(base: string, secretAdminKey: string) {
  // One strong password for everyone: the API refuses common ones.
  const password = `Bench-${randomBytes(12).toString("base64url")}`;
  const person = (i: number) => ({
    username: `user${String(i).padStart(4, "0")}`,
    email: `user${String(i).padStart(4, "0")}@example.com`,
    first_name: FIRST_NAMES[i % FIRST_NAMES.length] ?? "Ada",
    last_name: LAST_NAMES[i % LAST_NAMES.length] ?? "Lovelace",
    password,
  });
  await call(base, "POST", "/auth/register", 201, {
    ...person(0),
    username: "bench-admin",
    email: "admin@example.com",
    secret_admin_key: secretAdminKey,
  });
  const ids: string[] = [];
  let next = 1;
  // A few at a time: bcrypt keeps workerd's one JS thread busy, more would only queue.
  await Promise.all(
    Array.from({ length: SEED_PARALLELISM }, async () => {
      while (next <= SEED_USERS) {
        const i = next++;
        const answer = (await call(base, "POST", "/auth/register", 201, person(i))) as {
          user: { id: string };
        };
        ids[i] = answer.user.id;
      }
    }),
  );
  const adminLogin = (await call(base, "POST", "/auth/login", 200, {
    email: "admin@example.com",
    password,
  })) as { access_token: string };
  const otherUserId = ids[Math.floor(SEED_USERS / 2)];
  if (!otherUserId) throw new Error("seeding registered no users");
  return {
    adminToken: adminLogin.access_token,
    otherUserId,
    login: { email: person(1).email, password },
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring

/**
 * Loads one endpoint for a time (warm-up) or for a number of requests (measurement; see
 * measure()). Seconds run from the first request to the last response: with `amount`, autocannon's
 * own duration also counts the wait for its next one-second tick.
 */
async function load(
  base: string,
  scenario: Scenario,
  size: { duration: number } | { amount: number },
) {
  const headers: Record<string, string> = {};
  if (scenario.token) headers.Authorization = `Bearer ${scenario.token}`;
  if (scenario.body) headers["Content-Type"] = "application/json";
  const startedAt = performance.now();
  let lastResponseAt = startedAt;
  const instance = autocannon({
    url: `${base}${scenario.path}`,
    method: scenario.method,
    headers,
    body: scenario.body,
    connections: scenario.connections,
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
  if (interrupted) throw new Error("interrupted");
  if (overran) throw new Error(`${scenario.name} ran three times longer than planned`);
  if (result.non2xx > 0 || result.errors > 0) await failLoudly(base, scenario, result);
  return { result, latencies, seconds: (lastResponseAt - startedAt) / 1000 };
}

async function failLoudly(base: string, scenario: Scenario, result: Result): Promise<never> {
  const response = await fetch(`${base}${scenario.path}`, {
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
    `${scenario.name} must answer only 2xx, but had ${result.non2xx} non-2xx answers and ${result.errors} connection errors (${result.timeouts} timeouts); status codes ${JSON.stringify(result.statusCodeStats)}; one more request now answers: ${sample}\nworkerd's last output:\n${workerdOutput}`,
  );
}

async function databaseRequests(countUrl: string): Promise<number> {
  const response = await fetch(countUrl);
  return ((await response.json()) as { requests: number }).requests;
}

function percentile(sorted: Float64Array, fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

async function measure(
  workerd: { base: string; pid: number },
  countUrl: string,
  scenario: Scenario,
): Promise<Omit<Measurement, "relativeToHealth" | "relativeToReady">> {
  const warmup = await load(workerd.base, scenario, { duration: warmupSeconds });
  // The warm-up ends by cutting off the requests in flight, which workerd may still be finishing
  // (a login's queued bcrypt takes a few hundred ms): their CPU and queries are not this run's.
  await sleep(500);
  // The measured run is a number of requests, not a time, so that every request it sends is
  // answered and counted: CPU time and round trips per request are then exact, not skewed by
  // requests cut off at the end. The warm-up's rate sizes it to take about `seconds`.
  const amount = Math.max(
    10 * scenario.connections,
    Math.round((warmup.result.requests.total / warmup.seconds) * scenario.seconds),
  );
  const cpuBefore = cpuSecondsOf(workerd.pid);
  const tripsBefore = await databaseRequests(countUrl);
  const run = await load(workerd.base, scenario, { amount });
  const cpuSeconds = cpuSecondsOf(workerd.pid) - cpuBefore;
  const trips = (await databaseRequests(countUrl)) - tripsBefore;

  const requests = run.result.requests.total;
  const sorted = Float64Array.from(run.latencies).sort();
  return {
    name: scenario.name,
    connections: scenario.connections,
    seconds: round(run.seconds, 2),
    requests,
    requestsPerSecond: round(requests / run.seconds, 1),
    latencyMs: { p50: round(percentile(sorted, 0.5), 2), p99: round(percentile(sorted, 0.99), 2) },
    non2xx: run.result.non2xx,
    workerCpuMsPerRequest: round((cpuSeconds * 1000) / requests, 3),
    workerCpuBudgetMs: scenario.hashesPassword ? null : 1,
    databaseRoundTripsPerRequest: round(trips / requests, 2),
    databaseRoundTripBudget: scenario.tripBudget,
  };
}

/** Each endpoint's rate as a fraction of the two floors measured in the same run. */
function relativeToFloors(
  measured: Omit<Measurement, "relativeToHealth" | "relativeToReady">[],
): Measurement[] {
  const rateOf = (name: string) => {
    const rate = measured.find((m) => m.name === name)?.requestsPerSecond;
    if (!rate) throw new Error(`${name} was not measured`);
    return rate;
  };
  const health = rateOf("GET /health");
  const ready = rateOf("GET /health/ready");
  return measured.map((m) => ({
    ...m,
    relativeToHealth: round(m.requestsPerSecond / health, 3),
    relativeToReady: round(m.requestsPerSecond / ready, 3),
  }));
}

// ---------------------------------------------------------------------------------------------
// Report

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function printReport(
  machine: { cpus: number; cpuModel: string; node: string; workerd: string },
  database: string,
  gzipKiB: number,
  measured: Measurement[],
): void {
  const header = [
    "endpoint",
    "conns",
    "req/s",
    "vs /health",
    "vs /ready",
    "p50 ms",
    "p99 ms",
    "non-2xx",
    "CPU ms/req",
    "DB trips/req",
  ];
  const rows = measured.map((m) => [
    m.name,
    String(m.connections),
    m.requestsPerSecond.toFixed(0),
    m.relativeToHealth.toFixed(3),
    m.relativeToReady.toFixed(3),
    m.latencyMs.p50.toFixed(2),
    m.latencyMs.p99.toFixed(2),
    String(m.non2xx),
    m.workerCpuMsPerRequest.toFixed(3),
    m.databaseRoundTripsPerRequest.toFixed(2),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const format = (row: string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join("  ");

  console.log("");
  console.log(
    `workerd ${machine.workerd.replace(/^workerd\s*/, "")}, Node ${machine.node}, ${machine.cpus} x ${machine.cpuModel}`,
  );
  console.log(`Database: ${database}, through the local SQL endpoint and a counting proxy`);
  console.log("");
  console.log(format(header));
  console.log(format(widths.map((width) => "-".repeat(width))));
  for (const row of rows) console.log(format(row));
  console.log("");
  console.log(`Worker bundle: ${gzipKiB.toFixed(1)} KiB gzipped (dist/worker.js)`);
  console.log(
    "CPU ms/req: workerd's process CPU time (user + system, its HTTP handling included) / requests.",
  );
  console.log("DB trips/req: requests to the SQL endpoint / HTTP requests.");

  const overBudget: string[] = [];
  if (gzipKiB > 250) overBudget.push(`bundle ${gzipKiB.toFixed(1)} KiB gzipped > 250 KiB`);
  for (const m of measured) {
    if (m.databaseRoundTripsPerRequest > m.databaseRoundTripBudget) {
      overBudget.push(
        `${m.name}: ${m.databaseRoundTripsPerRequest.toFixed(2)} database round trips per request > ${m.databaseRoundTripBudget}`,
      );
    }
    if (m.workerCpuBudgetMs !== null && m.workerCpuMsPerRequest >= m.workerCpuBudgetMs) {
      overBudget.push(
        `${m.name}: ${m.workerCpuMsPerRequest.toFixed(3)} ms CPU per request >= ${m.workerCpuBudgetMs}`,
      );
    }
  }
  console.log("");
  console.log(
    overBudget.length === 0
      ? "Budgets (DESIGN.md): all met."
      : `Over budget (DESIGN.md):\n${overBudget.map((line) => `  - ${line}`).join("\n")}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Clean-up

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    running?.stop();
    // Newest first: workerd stops before the database it queries.
    for (const owned of [...started].reverse()) await stopProcess(owned);
    if (scratchDatabase) {
      const { serverUrl, name } = scratchDatabase;
      const client = new pg.Client({ connectionString: serverUrl });
      try {
        await client.connect();
        // The name is ours ([a-z0-9_]), so quoting it is enough.
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } catch (error) {
        console.error(`could not drop the scratch database "${name}": ${messageOf(error)}`);
      } finally {
        await client.end().catch(() => {});
      }
    }
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    interrupted = true;
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
