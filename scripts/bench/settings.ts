// Where the benchmark finds what it runs, and how long and hard it loads each endpoint. Settings
// come from the environment: BENCH_SIZES (10000,100000,1000000), the numbers of users of the cost
// curve, each in a database of its own; BENCH_SECONDS (6) per endpoint and round, BENCH_ROUNDS
// (3): every scenario is measured once per round and size and reported by its median,
// BENCH_CONNECTIONS (32), BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/test), the
// server to create the databases on (embedded PGlite stands in when it does not answer: then one
// size only, the smallest), BENCH_KEEP (1): 0 drops the seeded databases afterwards instead of
// keeping them for the next run (stage.ts), and BENCH_PLANS (1): 0 skips the query plans and the
// cron's batches at the largest size (plans.ts). BENCH_QUICK=1 is a short run: 1 round of 2 s,
// sizes 10000 and 100000, unless those are set too. BENCH_SEED_ONLY=1 seeds the sizes' kept
// databases and stops there, so that seeding (minutes at 1,000,000 users) and measuring can be run
// apart.
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dirname, "../..");
export const bundlePath = join(root, "dist", "worker.js");
// `npm run bench:profile` (profile.ts): its unminified bundle, and where it writes the profiles.
export const profileBundlePath = join(root, "dist", "worker.profile.js");
export const profilesDir = join(root, "profiles");
export const workerdBin = join(root, "node_modules", "workerd", "bin", "workerd");
export const resultsPath = join(root, "bench-results.json");

export const migrationsFolder = join(root, "drizzle");

const quick = process.env.BENCH_QUICK === "1";
export const sizes = (process.env.BENCH_SIZES || (quick ? "10000,100000" : "10000,100000,1000000"))
  .split(",")
  .map((text) => {
    const users = Number(text);
    if (!Number.isInteger(users) || users < 1_000) {
      throw new Error(`BENCH_SIZES must list numbers of users of 1000 or more, not ${text}`);
    }
    return users;
  })
  .sort((a, b) => a - b);
export const keep = process.env.BENCH_KEEP !== "0";
export const seconds = positiveFromEnv("BENCH_SECONDS", quick ? 2 : 6);
// A shared machine's speed drifts by 10-40 % over minutes: rounds interleave the scenarios, so a
// slow spell touches one round of each rather than all of one scenario, and medians drop it.
export const rounds = Math.round(positiveFromEnv("BENCH_ROUNDS", quick ? 1 : 3));
export const connections = Math.round(positiveFromEnv("BENCH_CONNECTIONS", 32));
export const databaseServerUrl =
  process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
// Long enough for V8 to optimise the hot paths and for the connection pools to fill.
export const warmupSeconds = Math.min(2, seconds);
// Cost 10 is what production runs; a login is then ~70 ms of CPU on a single-threaded runtime,
// so a few connections already saturate it and a shorter run gives plenty of samples.
export const BCRYPT_COST = 10;
export const loginConnections = 4;
export const loginSeconds = Math.max(2, Math.round(seconds / 2));
export const plans = process.env.BENCH_PLANS !== "0";
export const seedOnly = process.env.BENCH_SEED_ONLY === "1";

function positiveFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number, not ${JSON.stringify(text)}`);
  }
  return value;
}
