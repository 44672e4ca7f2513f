// The Worker under test: the built bundle served by `workerd serve` (the runtime Cloudflare
// Workers run on) on a free loopback port; its CPU time is read by pid (processes.ts). For the
// profiler (profile.ts) it serves another bundle and opens the DevTools inspector on a given port.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { copyFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { formatKeySet, generateKeySet } from "../key-set.ts";
import { isRunning, startProcess } from "./processes.ts";
import { bundlePath, root, workerdBin } from "./settings.ts";

export type Workerd = {
  base: string;
  /** the reference Workers' origins (REFERENCE_WORKERS) */
  references: { bare: string; bareQuery: string };
  pid: number;
  /** workerd's last output, for error messages: it explains a bad config, the Worker its 500s */
  output(): string;
};

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const address = server.address();
  await new Promise((resolveClose) => server.close(resolveClose));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/** wrangler.toml's compatibility date, and its flags as a Cap'n Proto list ("[]" without any). */
export function compatibility(): { date: string; flags: string } {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  // The Worker's flags as deployed (nodejs_als: the request log's async context).
  const flags = /^compatibility_flags\s*=\s*(\[[^\]]*\])/m.exec(toml)?.[1] ?? "[]";
  return { date, flags };
}

function workerdConfig(
  port: number,
  references: { bare: number; bareQuery: number },
  bindings: Record<string, string>,
  metrics = false,
  v8Flags: string[] = [],
): string {
  const { date: compatibilityDate, flags: compatibilityFlags } = compatibility();
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
    // Analytics Engine is not part of workerd either: a dataset whose writes go nowhere, so the
    // Worker's own cost of a metric is measured (observability.ts).
    ...(metrics ? [`    (name = "METRICS", wrapped = (moduleName = "bench:metrics")),`] : []),
  ].join("\n");
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "api", worker = .api),
    (name = "bare", worker = .bare),
    (name = "bareQuery", worker = .bareQuery),
    # workerd's default outbound refuses private addresses; the Worker needs only loopback,
    # where the SQL endpoint listens.
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [
    (name = "http", address = "127.0.0.1:${port}", http = (), service = "api"),
    (name = "bare", address = "127.0.0.1:${references.bare}", http = (), service = "bare"),
    (name = "bareQuery", address = "127.0.0.1:${references.bareQuery}", http = (), service = "bareQuery"),
  ],
  v8Flags = ${JSON.stringify(v8Flags)},
  extensions = [(modules = [
    (name = "bench:limiter", esModule = embed "limiter.js", internal = true),
    (name = "bench:metrics", esModule = embed "metrics.js", internal = true),
  ])],
);

const api :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = ${text(compatibilityDate)},
  compatibilityFlags = ${compatibilityFlags},
  bindings = [
${bindingList}
  ],
  globalOutbound = "loopback",
);

# The floors of this machine's workerd (REFERENCE_WORKERS): a Worker that only answers, and one
# that sends one trivial query to the same SQL endpoint first.
const bare :Workerd.Worker = (
  modules = [(name = "bare.js", esModule = embed "bare.js")],
  compatibilityDate = ${text(compatibilityDate)},
);

const bareQuery :Workerd.Worker = (
  modules = [(name = "bare-query.js", esModule = embed "bare-query.js")],
  compatibilityDate = ${text(compatibilityDate)},
  bindings = [
    (name = "SQL_URL", text = ${text(bindings.NEON_FETCH_ENDPOINT ?? "")}),
    (name = "DATABASE_URL", text = ${text(bindings.DATABASE_URL ?? "")}),
  ],
  globalOutbound = "loopback",
);
`;
}

/**
 * Two Workers with nothing of the API in them, served by the same workerd process, so that the
 * cost of the runtime itself is measured in the same run: answering a request (the floor under
 * GET /health), and answering after one `select 1` sent to the SQL endpoint with a plain fetch in
 * Neon's protocol (the floor under any request that queries the database: no driver, no drizzle).
 */
const REFERENCE_WORKERS = {
  "bare.js": `export default {
  fetch() {
    return new Response('{"status":"ok"}', { headers: { "Content-Type": "application/json" } });
  },
};
`,
  "bare-query.js": `export default {
  async fetch(request, env) {
    const answer = await fetch(env.SQL_URL, {
      method: "POST",
      headers: { "Neon-Connection-String": env.DATABASE_URL, "Content-Type": "application/json" },
      body: '{"query":"select 1","params":[]}',
    });
    await answer.json();
    return new Response('{"status":"ok"}', { headers: { "Content-Type": "application/json" } });
  },
};
`,
};

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

/** The stand-in dataset's module: writeDataPoint() keeps nothing. */
const metricsModule = `export default function makeBinding() {
  return { writeDataPoint() {} };
}
`;

export type WorkerdOptions = {
  /** binds METRICS to a stand-in Analytics Engine dataset (observability.ts) */
  metrics?: boolean;
  /** the bundle to serve; the bench's own by default */
  bundle?: string;
  /** opens workerd's DevTools inspector (Chrome DevTools Protocol) on 127.0.0.1 at this port */
  inspectorPort?: number;
  /** runs workerd under this command (valgrind and its options: observability-instructions.ts) */
  wrapper?: string[];
  /** how long workerd may take to answer its first request, in ms (20 s by default) */
  startMs?: number;
  /** flags for V8 (the config's v8Flags) */
  v8Flags?: string[];
};

export async function startWorkerd(
  dir: string,
  bindings: Record<string, string>,
  options: WorkerdOptions = {},
): Promise<Workerd> {
  const port = await freePort();
  const referencePorts = { bare: await freePort(), bareQuery: await freePort() };
  await copyFile(options.bundle ?? bundlePath, join(dir, "worker.js"));
  await writeFile(join(dir, "limiter.js"), limiterModule);
  await writeFile(join(dir, "metrics.js"), metricsModule);
  for (const [name, source] of Object.entries(REFERENCE_WORKERS)) {
    await writeFile(join(dir, name), source);
  }
  const configPath = join(dir, "bench.capnp");
  // A fresh signing key set unless the caller brings one, as `npm run dev` makes for .dev.vars.
  const keys = { JWT_SIGNING_KEYS: formatKeySet(await generateKeySet()) };
  await writeFile(
    configPath,
    workerdConfig(port, referencePorts, { ...keys, ...bindings }, options.metrics, options.v8Flags),
  );
  const references = {
    bare: `http://127.0.0.1:${referencePorts.bare}`,
    bareQuery: `http://127.0.0.1:${referencePorts.bareQuery}`,
  };
  const inspector =
    options.inspectorPort === undefined
      ? []
      : [`--inspector-addr=127.0.0.1:${options.inspectorPort}`];
  const [command, ...wrapperArgs] = [...(options.wrapper ?? []), workerdBin];
  const child = startProcess(
    command as string,
    [...wrapperArgs, "serve", configPath, ...inspector],
    {
      stdin: "ignore",
      stderr: "pipe",
    },
  );
  let workerdOutput = "";
  const keep = (chunk: Buffer) => {
    workerdOutput = (workerdOutput + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const output = () => workerdOutput;
  const base = `http://127.0.0.1:${port}`;
  const startMs = options.startMs ?? 20_000;
  const deadline = Date.now() + startMs;
  while (Date.now() < deadline) {
    if (!isRunning(child)) throw new Error(`workerd stopped on start:\n${workerdOutput}`);
    try {
      const response = await fetch(`${base}/health`);
      await response.body?.cancel();
      if (response.ok && child.pid !== undefined)
        return { base, references, pid: child.pid, output };
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(
    `workerd did not answer ${base}/health within ${startMs / 1000} s:\n${workerdOutput}`,
  );
}

export function workerdVersion(): string {
  return execFileSync(workerdBin, ["--version"], { encoding: "utf8" }).trim();
}
