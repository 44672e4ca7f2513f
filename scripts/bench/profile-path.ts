// One path of `npm run bench:profile` (profile.ts): the request it stands for, and its three runs
// against workerd: a warm-up; a plain run that reads workerd's user and system CPU per request from
// /proc; and a run during which V8's sampling profiler runs in the API Worker's isolate, through
// workerd's inspector, written to profiles/<slug>.cpuprofile and summarized.
import { writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type CpuProfile,
  type Locate,
  monotonicMicroseconds,
  printSummary,
  summarize,
  type Window,
} from "./cpuprofile.ts";
import { connectInspector, type Inspector, profileWhile } from "./inspector.ts";
import { load, type Scenario } from "./measure.ts";
import { cpuTimesOf } from "./processes.ts";
import type { seed } from "./seed.ts";
import { profilesDir, root } from "./settings.ts";
import type { Workerd } from "./workerd.ts";

const CONNECTIONS = 16;
const WARMUP_SECONDS = 3;
const RUN_SECONDS = 4;
const SAMPLING_INTERVAL_MICROSECONDS = 50;

// The inspector connection of the run in progress, which an interruption must close.
let inspector: Inspector | undefined;

export function closeInspector(): void {
  inspector?.close();
  inspector = undefined;
}

type Seeded = Awaited<ReturnType<typeof seed>>;

function slugOf(spec: string): string {
  const [method, path] = spec.startsWith("PATCH ") ? ["patch", spec.slice(6)] : ["get", spec];
  const words = path
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `${method}-${words || "root"}`;
}

export function scenarioOf(spec: string, seeded: Seeded): Scenario {
  const patch = spec.startsWith("PATCH ");
  const pattern = patch ? spec.slice(6).trim() : spec;
  return {
    id: slugOf(spec),
    name: `${patch ? "PATCH" : "GET"} ${pattern}`,
    method: patch ? "PATCH" : "GET",
    path: pattern.replaceAll("{other}", seeded.otherUserId).replaceAll("{self}", seeded.selfId),
    token: seeded.adminToken,
    body: patch ? JSON.stringify({ first_name: "Bench" }) : undefined,
    connections: CONNECTIONS,
    seconds: RUN_SECONDS,
  };
}

/**
 * Warms the path up, measures it plainly, then profiled: answers the span of all three, for the
 * SQL endpoint's profile.
 */
export async function profilePath(
  workerd: Workerd,
  inspectorPort: number,
  scenario: Scenario,
  locate: Locate,
): Promise<Window> {
  console.log(`\n=== ${scenario.name} (${CONNECTIONS} connections) ===`);
  const loaded = { from: monotonicMicroseconds(), to: 0 };
  const warmup = await load(workerd, scenario, { duration: WARMUP_SECONDS });
  // Let the requests the timed warm-up cut off finish before the CPU is read.
  await sleep(500);
  // A number of requests, not a time, so that every request whose CPU is counted is answered.
  const amount = Math.max(10 * CONNECTIONS, Math.round(warmup.rate * RUN_SECONDS));
  const before = cpuTimesOf(workerd.pid);
  const plain = await load(workerd, scenario, { amount });
  const after = cpuTimesOf(workerd.pid);
  const requests = plain.result.requests.total;
  const perRequest = (seconds: number) => ((seconds * 1000) / requests).toFixed(3);
  const user = after.user - before.user;
  const system = after.system - before.system;
  console.log(
    `Plain run: ${requests} requests in ${plain.seconds.toFixed(1)} s, ${plain.rate.toFixed(0)} req/s; workerd CPU ms/request: user ${perRequest(user)}, system ${perRequest(system)}, total ${perRequest(user + system)}`,
  );

  // Connected only for the profiled run, so that the plain one runs without a client attached.
  inspector = await connectInspector(inspectorPort, "api");
  let profiled = { requests: 0, seconds: 0 };
  let profile: CpuProfile;
  try {
    profile = await profileWhile(inspector, SAMPLING_INTERVAL_MICROSECONDS, async () => {
      const run = await load(workerd, scenario, { duration: RUN_SECONDS });
      profiled = { requests: run.result.requests.total, seconds: run.seconds };
    });
  } finally {
    closeInspector();
  }
  const span = { ...loaded, to: monotonicMicroseconds() };
  const file = join(profilesDir, `${scenario.id}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
  console.log(
    `Profiled run: ${profiled.requests} requests in ${profiled.seconds.toFixed(1)} s, ${(profiled.requests / profiled.seconds).toFixed(0)} req/s under the profiler; wrote ${relative(root, file)}`,
  );
  printSummary(summarize(profile, locate));
  return span;
}
