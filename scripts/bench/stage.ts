// What `npm run bench` (index.ts) and `npm run bench:profile` (profile.ts) both stand on: a
// database behind the SQL endpoint, workerd serving a bundle against it, and the seeded users; and
// the run of the script itself, which undoes all of it on the way out (normal end, error or
// Ctrl-C alike). The bench sets up one stage per size of the data, side by side.
//
// Seeding 1,000,000 users with their 10,000,000 refresh tokens and events takes minutes, so on
// PostgreSQL the bench keeps each size's database (bench_keep_<users>) and seeds it once: a later
// run reuses it while it holds SEED_VERSION's data and its migrations are a beginning of
// drizzle/'s (the endpoint applies the rest as it opens it); otherwise it is dropped and seeded
// anew. BENCH_KEEP=0 seeds scratch databases and drops them afterwards.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import type pg from "pg";
import { SEED_VERSION } from "./bulk.ts";
import {
  chooseBackend,
  connectDirectly,
  databaseExists,
  dropScratchDatabase,
  type RunSql,
  runSql,
  startDatabase,
} from "./database.ts";
import { abortLoad } from "./measure.ts";
import { stopAll } from "./processes.ts";
import { messageOf } from "./report.ts";
import { SEED_USERS, seed } from "./seed.ts";
import { BCRYPT_COST, databaseServerUrl, migrationsFolder } from "./settings.ts";
import { startWorkerd, type WorkerdOptions } from "./workerd.ts";

// What cleanUp() must undo besides the processes, filled in as stages are set up.
const tempDirs: string[] = [];
const scratchDatabases: { serverUrl: string; name: string }[] = [];
const connections: pg.Client[] = [];

/**
 * Whether a kept database can be used as it is: seeded to the end with this SEED_VERSION, and
 * migrated by a beginning of drizzle/'s migrations (not by another branch's).
 */
async function keptIsUsable(serverUrl: string, name: string, users: number): Promise<boolean> {
  const { client, sql } = await connectDirectly(serverUrl, name);
  try {
    const [mark] = await sql(
      `select to_regclass('bench_seed') is not null as seeded,
         to_regclass('drizzle.__drizzle_migrations') is not null as migrated`,
    );
    if (!mark?.seeded || !mark.migrated) return false;
    const [seeding] = await sql("select 1 from bench_seed where version = $1 and users = $2", [
      SEED_VERSION,
      users,
    ]);
    const applied = await sql("select hash from drizzle.__drizzle_migrations order by id");
    const ours = readMigrationFiles({ migrationsFolder }).map((migration) => migration.hash);
    return seeding !== undefined && applied.every((row, i) => row.hash === ours[i]);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function setUpStage(options: {
  /** names the temporary folder of workerd's config */
  purpose: string;
  /** how many users the database holds (SEED_USERS by default) */
  users?: number;
  /** keep the database between runs (PostgreSQL only) */
  keep?: boolean;
  database?: Parameters<typeof startDatabase>[2];
  workerd?: WorkerdOptions;
}) {
  const users = options.users ?? SEED_USERS;
  const tempDir = await mkdtemp(join(tmpdir(), `user-api-${options.purpose}-`));
  tempDirs.push(tempDir);
  const { backend, description } = await chooseBackend(databaseServerUrl);
  const keep = options.keep === true && backend.kind === "pg";
  const databaseName = keep ? `bench_keep_${users}` : `bench_${randomBytes(6).toString("hex")}`;
  if (backend.kind === "pg") {
    if (!keep) scratchDatabases.push({ serverUrl: backend.url, name: databaseName });
    else if (
      (await databaseExists(backend.url, databaseName)) &&
      !(await keptIsUsable(backend.url, databaseName, users))
    ) {
      console.log(`Dropping "${databaseName}": another seeding's data or migrations.`);
      await dropScratchDatabase(backend.url, databaseName);
    }
  }
  const database = await startDatabase(backend, databaseName, options.database);
  console.log(`Database: ${description}, ${keep ? "kept" : "scratch"} database "${databaseName}".`);
  let sql: RunSql = (query, params) => runSql(database, query, params);
  // The endpoint creates and migrates a database on its first statement.
  await sql("select 1");
  if (backend.kind === "pg") {
    const direct = await connectDirectly(backend.url, databaseName);
    connections.push(direct.client);
    // The bulk load's sorts and index builds: far faster with more memory than the default.
    await direct.sql("set maintenance_work_mem = '1GB'");
    sql = direct.sql;
  }

  const secretAdminKey = randomBytes(24).toString("base64url");
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
    options.workerd,
  );
  console.log(
    `Seeding ${users.toLocaleString("en")} users: an admin and one user through the API (bcrypt cost ${BCRYPT_COST}), the rest with SQL...`,
  );
  const seeded = await seed(workerd.base, secretAdminKey, sql, users);
  return { users, backend, description, database, databaseName, sql, workerd, seeded };
}

export type Stage = Awaited<ReturnType<typeof setUpStage>>;

/**
 * Runs a script's main, then cleans up: stops every process it started, drops the scratch
 * databases and removes the temporary folders, also on errors and Ctrl-C. `before` runs first
 * (the profiler closes its inspector connection).
 */
export function runScript(what: string, main: () => Promise<void>, before?: () => void): void {
  let interrupted = false;
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => {
    cleaning ??= (async () => {
      before?.();
      for (const client of connections) await client.end().catch(() => {});
      await stopAll();
      for (const { serverUrl, name } of scratchDatabases) {
        await dropScratchDatabase(serverUrl, name);
      }
      for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
    })();
    return cleaning;
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      interrupted = true;
      abortLoad();
      console.error(`\n${signal}: stopping...`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  main()
    .then(cleanUp)
    .catch(async (error: unknown) => {
      if (interrupted) return;
      console.error(`\n${what} failed: ${messageOf(error)}`);
      await cleanUp();
      process.exit(1);
    });
}
