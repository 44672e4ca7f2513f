// The Worker under test: the built bundle served by `workerd serve` (the runtime Cloudflare
// Workers run on) on a free loopback port, and the CPU time that process has used.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { copyFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isRunning, startProcess } from "./processes.ts";
import { bundlePath, root, workerdBin } from "./settings.ts";

export type Workerd = {
  base: string;
  pid: number;
  /** workerd's last output, for error messages: it explains a bad config, the Worker its 500s */
  output(): string;
};

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
  const bindingList = [
    ...Object.entries(bindings).map(
      ([name, value]) => `    (name = ${text(name)}, text = ${text(value)}),`,
    ),
    // The Worker refuses to serve without its rate limiters. Cloudflare's are not part of
    // workerd: the benchmark binds a stand-in that never limits, so it measures the API itself.
    ...limiterNames().map(
      (name) => `    (name = ${text(name)}, wrapped = (moduleName = "bench:limiter")),`,
    ),
  ].join("\n");
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "api", worker = .api),
    # workerd's default outbound refuses private addresses; the Worker needs only loopback,
    # where the SQL endpoint listens.
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "api")],
  extensions = [(modules = [(name = "bench:limiter", esModule = embed "limiter.js", internal = true)])],
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

/** The [[ratelimits]] binding names of wrangler.toml. */
function limiterNames(): string[] {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  return [...toml.matchAll(/^\[\[ratelimits\]\]\s*\nname\s*=\s*"([^"]+)"/gm)].map(
    (m) => m[1] as string,
  );
}

/** The stand-in limiter's module: a binding factory whose limit() always lets the request in. */
const limiterModule = `export default function makeBinding() {
  return { async limit() { return { success: true }; } };
}
`;

export async function startWorkerd(
  dir: string,
  bindings: Record<string, string>,
): Promise<Workerd> {
  const port = await freePort();
  await copyFile(bundlePath, join(dir, "worker.js"));
  await writeFile(join(dir, "limiter.js"), limiterModule);
  const configPath = join(dir, "bench.capnp");
  await writeFile(configPath, workerdConfig(port, bindings));
  const child = startProcess(workerdBin, ["serve", configPath], {
    stdin: "ignore",
    stderr: "pipe",
  });
  let workerdOutput = "";
  const keep = (chunk: Buffer) => {
    workerdOutput = (workerdOutput + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const output = () => workerdOutput;
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (!isRunning(child)) throw new Error(`workerd stopped on start:\n${workerdOutput}`);
    try {
      const response = await fetch(`${base}/health`);
      await response.body?.cancel();
      if (response.ok && child.pid !== undefined) return { base, pid: child.pid, output };
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`workerd did not answer ${base}/health within 20 s:\n${workerdOutput}`);
}

export function workerdVersion(): string {
  return execFileSync(workerdBin, ["--version"], { encoding: "utf8" }).trim();
}

const clockTicksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));

/** User plus system CPU time of the whole process (all its threads), in seconds. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields 14 and 15 (utime, stime); the command name before them may contain spaces, so count
  // from the ")" that closes it: the field after it is field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}
