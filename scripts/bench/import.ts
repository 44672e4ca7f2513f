// `npm run bench:import`: how long `npm run import:flask` takes to bring 100,000 users over
// through the local stack (the built Worker in workerd, the SQL endpoint, PostgreSQL), and an
// unchanged re-run. The source is a scratch database in the original Flask API's shape on the
// bench's PostgreSQL server (BENCH_DATABASE_URL). Its hashes are bcrypt at cost 12, as
// Flask-Bcrypt writes them: a few distinct ones, reused, since hashing 100,000 passwords at cost
// 12 would take hours and the import never hashes (it stores what it is given).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import pg from "pg";
import {
  insertOriginalUsers,
  ORIGINAL_SCHEMA,
  type OriginalRow,
} from "../import-flask/original.ts";
import { dropScratchDatabase, runSql } from "./database.ts";
import { runToEnd } from "./processes.ts";
import { root } from "./settings.ts";
import { runScript, setUpStage } from "./stage.ts";

const USERS = Number(process.env.BENCH_IMPORT_USERS || 100_000);
const PASSWORDS = [
  "Flask-Bench-One-1",
  "Flask-Bench-Two-2",
  "Flask-Bench-Three-3",
  "Flask-Bench-Four-4",
];

let sourceDatabase: { serverUrl: string; name: string } | undefined;
let scratchDir: string | undefined;

/** The original's rows: one admin in a thousand, one inactive user in fifty. */
function originalRows(hashes: string[]): OriginalRow[] {
  return Array.from({ length: USERS }, (_, i) => ({
    username: `flask${i}`,
    first_name: "Flask",
    last_name: `User ${i}`,
    email: `flask${i}@example.com`,
    password: hashes[i % hashes.length] as string,
    role: i % 1000 === 0 ? "ADMIN" : "USER",
    active: i % 50 !== 1,
    created_at: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString().replace("Z", ""),
  }));
}

/** Runs the command as a user would and returns its wall time in seconds. */
async function timedImport(from: string, to: string, token: string, args: string[]) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "scripts/import-flask/index.ts", "--from", from, "--to", to, ...args],
    {
      cwd: root,
      env: { ...process.env, API_TOKEN: token },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`import:flask exited with ${code}`);
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  console.log("Building the Worker bundle...");
  await runToEnd("npm", ["run", "--silent", "build:worker"]);
  const { backend, description, database, workerd, seeded } = await setUpStage({
    purpose: "bench-import",
  });
  if (backend.kind !== "pg") {
    throw new Error("the import benchmark needs a PostgreSQL server for its source database");
  }

  const name = `flask_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: backend.url });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  sourceDatabase = { serverUrl: backend.url, name };
  const sourceUrl = backend.url.replace(/\/[^/]*$/, `/${name}`);
  const source = new pg.Client({ connectionString: sourceUrl });
  await source.connect();
  await source.query(ORIGINAL_SCHEMA);
  console.log(
    `Source: ${USERS} users in "${name}" (bcrypt cost 12, ${PASSWORDS.length} hashes)...`,
  );
  const hashes = PASSWORDS.map((password) => bcrypt.hashSync(password, 12));
  await insertOriginalUsers(source, originalRows(hashes));
  await source.query("analyze");
  await source.end();

  scratchDir = await mkdtemp(join(tmpdir(), "bench-import-"));
  const args = ["--map", join(scratchDir, "ids.csv")];
  console.log(`Importing ${USERS} users into ${workerd.base} (${description})...`);
  const first = await timedImport(sourceUrl, workerd.base, seeded.adminToken, args);
  const [imported] = await runSql(
    database,
    "select count(*) as n from users where external_id is not null",
  );
  if (Number(imported?.n) !== USERS) throw new Error(`imported ${imported?.n} of ${USERS} users`);
  console.log("Re-running it (every user unchanged)...");
  const again = await timedImport(sourceUrl, workerd.base, seeded.adminToken, args);

  const last = USERS - 1;
  const login = await fetch(`${workerd.base}/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: `flask${last}@example.com`, password: PASSWORDS[last % 4] }),
  });
  if (login.status !== 200) throw new Error(`an imported user's login answered ${login.status}`);
  const rate = (seconds: number) => Math.round(USERS / seconds);
  console.log(
    [
      "",
      `import:flask, ${USERS} users, ${description}:`,
      `  first run      ${first.toFixed(1)} s (${rate(first)} users/s)`,
      `  re-run         ${again.toFixed(1)} s (${rate(again)} users/s), every user unchanged`,
      "  an imported user logs in with the original password: yes",
    ].join("\n"),
  );
}

runScript("bench:import", async () => {
  try {
    await main();
  } finally {
    if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
    if (sourceDatabase) await dropScratchDatabase(sourceDatabase.serverUrl, sourceDatabase.name);
  }
});
