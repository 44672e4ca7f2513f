import { mkdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import {
  bundleModules,
  type CpuProfile,
  newestProfile,
  printSummary,
  summarize,
  type Window,
} from "./cpuprofile.ts";
import { runToEnd, stopAll } from "./processes.ts";
import { closeInspector, profilePath, scenarioOf } from "./profile-path.ts";
import { profileBundlePath, profilesDir, root } from "./settings.ts";
import { runScript, setUpStage } from "./stage.ts";
import { freePort } from "./workerd.ts";

const DEFAULT_PATHS = [
  "/health",
  "/health/ready",
  "/users/me",
  "/users/{other}",
  "/users?per_page=20&q=sophia",
  "PATCH /users/{other}",
];

// What cleanUp() must undo besides the processes, filled in as main() gets further.
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
  const inspectorPort = await freePort();
  const { workerd, seeded } = await setUpStage({
    purpose: "profile",
    database: endpoint ? { cpuProfileDir: endpointDir } : {},
    workerd: { bundle: profileBundlePath, inspectorPort },
  });

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

runScript("Profiling", main, closeInspector);
