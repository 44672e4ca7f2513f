// What `npm run bench` (index.ts) and `npm run bench:profile` (profile.ts) both stand on: a
// scratch database behind the SQL endpoint, workerd serving a bundle against it, and the seeded
// users; and the run of the script itself, which undoes all of it on the way out (normal end,
// error or Ctrl-C alike).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chooseBackend, dropScratchDatabase, startDatabase } from "./database.ts";
import { abortLoad } from "./measure.ts";
import { stopAll } from "./processes.ts";
import { messageOf } from "./report.ts";
import { SEED_USERS, seed } from "./seed.ts";
import { BCRYPT_COST, databaseServerUrl } from "./settings.ts";
import { startWorkerd, type WorkerdOptions } from "./workerd.ts";

// What cleanUp() must undo besides the processes, filled in as the stage is set up.
let tempDir: string | undefined;
let scratchDatabase: { serverUrl: string; name: string } | undefined;

export async function setUpStage(options: {
  /** names the temporary folder of workerd's config */
  purpose: string;
  database?: Parameters<typeof startDatabase>[2];
  workerd?: WorkerdOptions;
}) {
  tempDir = await mkdtemp(join(tmpdir(), `user-api-${options.purpose}-`));
  const { backend, description } = await chooseBackend(databaseServerUrl);
  const databaseName = `bench_${randomBytes(6).toString("hex")}`;
  if (backend.kind === "pg") scratchDatabase = { serverUrl: backend.url, name: databaseName };
  const database = await startDatabase(backend, databaseName, options.database);
  console.log(`Database: ${description}, scratch database "${databaseName}".`);

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
    `Seeding ${SEED_USERS} users: an admin and one user through the API (bcrypt cost ${BCRYPT_COST}), the rest with SQL...`,
  );
  const seeded = await seed(workerd.base, secretAdminKey, database);
  return { backend, description, database, workerd, seeded };
}

/**
 * Runs a script's main, then cleans up: stops every process it started, drops the scratch
 * database and removes the temporary folder, also on errors and Ctrl-C. `before` runs first
 * (the profiler closes its inspector connection).
 */
export function runScript(what: string, main: () => Promise<void>, before?: () => void): void {
  let interrupted = false;
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => {
    cleaning ??= (async () => {
      before?.();
      await stopAll();
      if (scratchDatabase) {
        await dropScratchDatabase(scratchDatabase.serverUrl, scratchDatabase.name);
      }
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
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
