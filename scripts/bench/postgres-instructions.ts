// `npm run bench:postgres-instructions`: what the authenticated statements and the refresh cost
// PostgreSQL, counted in instructions rather than timed (BENCHMARKS.md, "PostgreSQL's CPU per request"). The
// timed bench reads PostgreSQL's CPU in clock ticks, under a load that shares two cores with
// everything else, where one statement's cost is a few hundredths of a millisecond; callgrind
// counts every instruction a backend executes, the same for the same work whatever else the
// machine does.
//
// A scratch cluster of the machine's PostgreSQL (initdb in a temporary folder, its own port and
// socket, autovacuum off) holds two databases with BENCH_USERS users (100,000), seeded as the
// timed bench seeds them (bulk.ts: ten refresh tokens and ten events a user, and more), one of
// them an admin:
// "before", migrated up to (not including) BEFORE, and "after", migrated to the end. Then the
// cluster runs under valgrind's callgrind, which follows each forked backend into a file of its
// own. Each statement is sent as the SQL endpoint sends it (the extended protocol, an unnamed
// statement, the values as text) by the pg driver, on two connections: one that runs it WARMUP
// times, and one that runs it WARMUP + BENCH_RUNS (1,000) times; the difference of their
// backends' totals over BENCH_RUNS is one statement's count, with connecting, warming up and
// disconnecting taken out. A refresh spends the token its run before issued, so each run is a
// real rotation. Two runs agreed to within 1,000 instructions per read and 2.5 % for the refresh
// (which writes, into index pages that fill and split).
//
// Needs valgrind and PostgreSQL's server binaries (pg_config --bindir, or BENCH_PG_BIN); as root
// it runs them as the user postgres (PostgreSQL refuses root). About two and a half minutes.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { MIGRATIONS, migrationsBefore } from "../migrations-before.ts";
import { fill } from "./bulk.ts";
import type { RunSql } from "./database.ts";

/**
 * The first migration the "before" database does not have: from it on, the changes measured
 * (0016, the session check and the read; 0017, the refresh).
 */
const BEFORE = "0016_session_liveness";
const USERS = Number(process.env.BENCH_USERS || 100_000);
const RUNS = Number(process.env.BENCH_RUNS || 1000);
const WARMUP = 200;
const PORT = 55_432;

/**
 * A statement and its values for each run; a refresh's change with every run (each spends the
 * token the run before issued), starting from `chain`'s first token, which `start` inserts.
 */
type Statement = {
  label: string;
  text: string;
  values: unknown[] | ((run: number, chain: string) => unknown[]);
  start?: Caller;
};
type Caller = { id: string; family: string; role: string };

const bin = process.env.BENCH_PG_BIN || execFileSync("pg_config", ["--bindir"]).toString().trim();
const asRoot = process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), "pg-instructions-"));
const data = join(dir, "data");

/** A command line as the user postgres when this runs as root (PostgreSQL refuses root). */
function asPostgres(argv: string[]): [string, string[]] {
  const [file, ...args] = asRoot ? ["runuser", "-u", "postgres", "--", ...argv] : argv;
  return [file as string, args];
}

function run(program: string, args: string[]) {
  const [file, argv] = asPostgres([join(bin, program), ...args]);
  execFileSync(file, argv, { stdio: ["ignore", "ignore", "inherit"] });
}

/** The server, plain or under callgrind; resolves once it accepts connections. */
async function start(callgrind: boolean): Promise<ChildProcess> {
  const server = [join(bin, "postgres"), "-D", data, "-p", String(PORT), "-k", dir];
  const settings = ["-c", "listen_addresses=", "-c", "autovacuum=off", "-c", "jit=off"];
  const valgrind = [
    "valgrind",
    "--tool=callgrind",
    "--trace-children=yes",
    `--callgrind-out-file=${join(dir, "callgrind.%p")}`,
  ];
  const [file, argv] = asPostgres([...(callgrind ? valgrind : []), ...server, ...settings]);
  const child = spawn(file, argv, { stdio: "ignore" });
  for (let tries = 0; tries < 240; tries++) {
    const client = connect("postgres");
    try {
      await client.connect();
      await client.end();
      return child;
    } catch {
      await client.end().catch(() => {});
      await sleep(500);
    }
  }
  throw new Error("the scratch PostgreSQL did not start");
}

function stop() {
  run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
}

function connect(database: string): pg.Client {
  return new pg.Client({ host: dir, port: PORT, user: "postgres", database });
}

type Callers = { user: Caller; admin: Caller };

async function prepare(database: string, migrations: string): Promise<Callers> {
  const admin = connect("postgres");
  await admin.connect();
  await admin.query(`create database ${database}`);
  await admin.end();
  const client = connect(database);
  await client.connect();
  await migrate(drizzle({ client }), { migrationsFolder: migrations });
  // The timed bench's own seeding (bulk.ts): sessions of five tokens, some spent, revoked or
  // expired. Its users are all plain users; one of them becomes the admin who reads another.
  const sql: RunSql = async (text, params) => (await client.query(text, params)).rows;
  await fill(sql, USERS, "not a hash", new Date());
  await client.query(
    `update users set role = 'ADMIN' where id = (select id from users order by created_at limit 1)`,
  );
  await client.query("vacuum analyze");
  // A session that can still be refreshed: its head unspent, unrevoked and unexpired.
  const pick = async (role: string) =>
    (
      await client.query<Caller>(
        `select u.id, r.family_id as family, u.role from users u
         join refresh_tokens r on r.user_id = u.id
         where u.role = $1 and r.spent_at is null and r.revoked_at is null
           and r.expires_at > now()
         order by u.created_at limit 1`,
        [role],
      )
    ).rows[0] as Caller;
  const callers = { user: await pick("USER"), admin: await pick("ADMIN") };
  await client.end();
  return callers;
}

/** The statements of each side, as each release's Worker sends them (services/users.ts). */
function statements(side: "before" | "after", { user, admin }: Callers) {
  const missing = "00000000-0000-4000-8000-000000000000";
  const args = (caller: Caller) => [caller.id, 0, caller.role, caller.family];
  const read = (caller: Caller, target: string) => [...args(caller), target];
  const cast = side === "before" ? "::user_role" : "";
  const readOf = `select ${side === "before" ? "user_as" : "read_user_as"}($1, $2, $3${cast}, $4, $5) as read`;
  return [
    { label: "select 1", text: "select 1", values: [] },
    {
      label: "caller_is_live (every other authenticated statement carries it)",
      text: `select caller_is_live($1, $2, $3${cast}, $4)`,
      values: args(user),
    },
    { label: "the read: a user reads themselves", text: readOf, values: read(user, user.id) },
    { label: "the read: an admin reads another", text: readOf, values: read(admin, user.id) },
    { label: "the read: an admin, no such user", text: readOf, values: read(admin, missing) },
    {
      label: "the refresh: spend a token, issue its successor",
      text: side === "before" ? ROTATION_BEFORE : ROTATION,
      values: (run: number, chain: string) => [
        `${chain}:${run}`,
        randomUUID(),
        `${chain}:${run + 1}`,
        2_592_000,
        7_776_000,
        "bench",
        "192.0.2.0",
      ],
      start: user,
    },
  ] satisfies Statement[];
}

/** The refresh as the Worker sends it (services/sessions.ts, rotateSession). */
const ROTATION = "select rotate_refresh_token($1, $2, $3, $4, $5, $6, $7) as rotated";
/** The refresh as the previous release sent it: one data-modifying statement, planned each time. */
const ROTATION_BEFORE = `with spent as (
  update refresh_tokens rt set spent_at = now() from users u
  where rt.token_hash = $1 and rt.spent_at is null and rt.revoked_at is null
    and rt.expires_at > now() and rt.session_started_at + make_interval(secs => $5::int) > now()
    and u.id = rt.user_id and u.active and u.token_version = rt.token_version
    and family_is_live(rt.family_id)
  returning rt.user_id, rt.family_id, rt.session_started_at, u.role, u.token_version
), successor as (
  insert into refresh_tokens (id, user_id, family_id, token_version, token_hash, expires_at,
    session_started_at, user_agent, ip)
  select $2::uuid, user_id, family_id, token_version, $3,
    least(now() + make_interval(secs => $4::int), session_started_at + make_interval(secs => $5::int)),
    session_started_at, $6, $7
  from spent
)
select user_id, role, token_version, family_id from spent`;

/** The first token of a refresh chain, in the caller's session. */
async function startChain(database: string, caller: Caller, chain: string) {
  const client = connect(database);
  await client.connect();
  await client.query(
    `insert into refresh_tokens (id, user_id, family_id, token_version, token_hash, expires_at)
     values (gen_random_uuid(), $1, $2, 0, $3, now() + interval '30 days')`,
    [caller.id, caller.family, `${chain}:0`],
  );
  await client.end();
}

/** The instructions the backend of a connection that runs the statement `times` times executed. */
async function backendTotal(database: string, statement: Statement, times: number) {
  const chain = randomUUID();
  if (statement.start) await startChain(database, statement.start, chain);
  const client = connect(database);
  await client.connect();
  const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
  for (let run = 0; run < times; run++) {
    const { text, values } = statement;
    const query = {
      text,
      values: typeof values === "function" ? values(run, chain) : values,
      // pg 8.12+, not in its types: select 1 too in the extended protocol, as the endpoint sends.
      queryMode: "extended",
    };
    // Every statement here answers one row with a value: the caller live, the refresh done.
    const answer = await client.query(query as pg.QueryConfig);
    const value = Object.values(answer.rows[0] ?? {})[0];
    if (answer.rowCount !== 1 || value === null || value === undefined) {
      throw new Error(`${statement.label} answered ${JSON.stringify(answer.rows)}`);
    }
  }
  await client.end();
  const file = join(dir, `callgrind.${rows[0]?.pid}`);
  // callgrind writes the file when the backend exits, a moment after the connection closes.
  for (let tries = 0; tries < 600; tries++) {
    const total = existsSync(file) && /^totals: (\d+)/m.exec(readFileSync(file, "utf8"));
    if (total) return Number(total[1]);
    await sleep(100);
  }
  throw new Error(`no callgrind counts for the backend of ${statement.label}`);
}

async function count(database: string, statement: Statement): Promise<number> {
  const warm = await backendTotal(database, statement, WARMUP);
  const measured = await backendTotal(database, statement, WARMUP + RUNS);
  return (measured - warm) / RUNS;
}

async function main() {
  execFileSync("valgrind", ["--version"], { stdio: "ignore" });
  if (asRoot) chownSync(dir, Number(execFileSync("id", ["-u", "postgres"])), 0);
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const before = migrationsBefore(BEFORE);
  try {
    let server = await start(false);
    console.log(`Seeding ${USERS.toLocaleString("en")} users twice (before ${BEFORE}, after)...`);
    const callers = {
      before: await prepare("before", before),
      after: await prepare("after", MIGRATIONS),
    };
    stop();
    await new Promise((done) => server.once("exit", done));
    server = await start(true);
    const results: Record<string, { label: string; count: number }[]> = {};
    for (const side of ["before", "after"] as const) {
      results[side] = [];
      for (const statement of statements(side, callers[side])) {
        results[side].push({ label: statement.label, count: await count(side, statement) });
      }
    }
    stop();
    await new Promise((done) => server.once("exit", done));
    report(results);
  } finally {
    rmSync(before, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(results: Record<string, { label: string; count: number }[]>) {
  console.log(`\nInstructions per statement, ${RUNS} runs after ${WARMUP} of warm-up (before: the`);
  console.log(
    "read as user_as with a cast, the refresh as one data-modifying statement; after: the",
  );
  console.log("read as read_user_as, the refresh as rotate_refresh_token):");
  console.log("| statement | before | after | after/before | after × select 1 |");
  console.log("|---|---|---|---|---|");
  const after = results.after ?? [];
  const select1 = after[0]?.count ?? Number.NaN;
  const figure = (n: number) => Math.round(n).toLocaleString("en");
  (results.before ?? []).forEach((old, i) => {
    const now = after[i]?.count ?? Number.NaN;
    const change = `${(((now - old.count) / old.count) * 100).toFixed(1)} %`;
    const times = (now / select1).toFixed(2);
    console.log(`| ${old.label} | ${figure(old.count)} | ${figure(now)} | ${change} | ${times} |`);
  });
}

await main();
