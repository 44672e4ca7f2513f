// `npm run bench:observability`: what the request log line and the auth metrics cost per
// request, as Worker CPU of an authenticated read (GET /users/{id}, the caller's own), measured
// in one run on four workerd processes that differ only in what they observe: nothing
// (LOG_FORMAT=off, no METRICS binding: the middleware steps aside), the log line alone, the
// metrics alone (a METRICS stand-in whose writeDataPoint does nothing: the runtime's own cost
// of a data point is not part of workerd), and both, as deployed. Rounds interleave the four, and
// each figure is the median of its rounds. Settings as for `npm run bench` (BENCH_SECONDS,
// BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_DATABASE_URL); 1,000 users in a scratch database.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Measurement, measure, medianOfRounds, type Scenario } from "./measure.ts";
import { runToEnd } from "./processes.ts";
import { round } from "./report.ts";
import { logIn } from "./seed.ts";
import { BCRYPT_COST, connections, seconds } from "./settings.ts";
import { runScript, setUpStage } from "./stage.ts";
import { startWorkerd, type Workerd } from "./workerd.ts";

const VARIANTS = [
  { id: "plain", name: "nothing observed", logFormat: "off", metrics: false },
  { id: "log", name: "log line only", logFormat: "json", metrics: false },
  { id: "metrics", name: "metrics only", logFormat: "off", metrics: true },
  { id: "both", name: "log line + metrics (as deployed)", logFormat: "json", metrics: true },
] as const;

const ROUNDS = Math.max(3, Math.round(Number(process.env.BENCH_ROUNDS || 5)));

async function main(): Promise<void> {
  console.log("Building the Worker bundle...");
  await runToEnd("npm", ["run", "--silent", "build:worker"]);
  const stage = await setUpStage({ purpose: "observability", users: 1_000 });
  const dirs: string[] = [];
  try {
    const servers: { variant: (typeof VARIANTS)[number]; workerd: Workerd; scenario: Scenario }[] =
      [];
    for (const variant of VARIANTS) {
      const dir = await mkdtemp(join(tmpdir(), `user-api-observability-${variant.id}-`));
      dirs.push(dir);
      const workerd = await startWorkerd(
        dir,
        {
          DATABASE_URL: `postgres://bench:${stage.database.secret}@sql-endpoint/${stage.databaseName}`,
          NEON_FETCH_ENDPOINT: stage.database.sqlUrl,
          JWT_SECRET: randomBytes(48).toString("base64url"),
          BCRYPT_COST: String(BCRYPT_COST),
          MAIL_PROVIDER: "log",
          LOG_FORMAT: variant.logFormat,
        },
        { metrics: variant.metrics },
      );
      const { access_token } = await logIn(workerd.base, stage.seeded.login);
      servers.push({
        variant,
        workerd,
        scenario: {
          id: variant.id,
          name: `GET /users/{id} self, ${variant.name}`,
          method: "GET",
          path: `/users/${stage.seeded.selfId}`,
          token: access_token,
          connections,
          seconds,
        },
      });
    }
    const runs = new Map<string, Measurement[]>(VARIANTS.map(({ id }) => [id, []]));
    for (let r = 1; r <= ROUNDS; r++) {
      // A different order each round, so no variant always runs on a warmer machine.
      const order = [...servers.keys()].map((i) => servers[(i + r) % servers.length]);
      for (const server of order) {
        if (!server) continue;
        console.log(`Round ${r}/${ROUNDS}: ${server.scenario.name}...`);
        runs
          .get(server.variant.id)
          ?.push(await measure(server.workerd, stage.database, server.scenario));
      }
    }
    const medians = new Map(
      [...runs].map(([id, measured]) => [id, medianOfRounds(measured)] as const),
    );
    const plain = medians.get("plain")?.workerCpuMsPerRequest ?? Number.NaN;
    console.log(
      `\nWorker CPU per authenticated read, median of ${ROUNDS} rounds (${connections} connections, ~${seconds} s each):`,
    );
    console.log(
      "variant                                   CPU ms/req   vs nothing   µs/req added   req/s   round trips",
    );
    for (const { id, name } of VARIANTS) {
      const m = medians.get(id);
      if (!m) continue;
      const cpu = m.workerCpuMsPerRequest;
      console.log(
        `${name.padEnd(42)}${cpu.toFixed(4).padStart(10)}${`${round((cpu / plain - 1) * 100, 1)} %`.padStart(13)}${round(
          (cpu - plain) * 1000,
          1,
        )
          .toFixed(1)
          .padStart(
            15,
          )}${m.requestsPerSecond.toFixed(0).padStart(8)}${m.databaseRoundTripsPerRequest.toFixed(2).padStart(14)}`,
      );
    }
    console.log(
      `\nEach round's CPU ms/req: ${VARIANTS.map(({ id }) => `${id} ${(runs.get(id) ?? []).map((m) => m.workerCpuMsPerRequest.toFixed(4)).join(" ")}`).join("; ")}`,
    );
  } finally {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
}

runScript("observability bench", main);
