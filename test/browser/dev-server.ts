// Starts and stops `npm run dev` the way a developer does, on a free port and a PGlite folder of
// its own, and keeps everything it prints (the mail log's links included).
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const root = resolve(import.meta.dirname, "../..");

export type DevServer = {
  child: ChildProcess;
  port: number;
  output: () => string;
  /** Resolves with the exit code once the whole `npm run dev` is gone. */
  exited: Promise<number | null>;
};

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export function startDev(options: {
  port: number;
  pgliteDir: string;
  wranglerArgs?: string[];
}): DevServer {
  let output = "";
  const args = ["run", "dev"];
  if (options.wranglerArgs?.length) args.push("--", ...options.wranglerArgs);
  const child = spawn("npm", args, {
    cwd: root,
    env: { ...process.env, PORT: String(options.port), PGLITE_DIR: options.pgliteDir },
    stdio: ["ignore", "pipe", "pipe"],
    // A process group of its own, so stopping it reaches npm, tsx and the dev server alike.
    detached: true,
  });
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolveExit) => {
    child.once("exit", (code) => resolveExit(code));
  });
  return { child, port: options.port, output: () => output, exited };
}

/** Waits for the banner, which `npm run dev` prints once its own Worker answers. */
export async function waitForBanner(dev: DevServer, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!dev.output().includes("User management API is running")) {
    if (dev.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`npm run dev did not come up:\n${dev.output()}`);
    }
    await sleep(250);
  }
}

/** The process group of wrangler that this dev server started (its guard's pid). */
export function wranglerGroup(dev: DevServer): number | undefined {
  const match = /wrangler dev starting \(process group (\d+)/.exec(dev.output());
  return match ? Number(match[1]) : undefined;
}

export function groupIsGone(group: number): boolean {
  try {
    process.kill(-group, 0);
    return false;
  } catch {
    return true;
  }
}

/** Ctrl-C, as a developer stops it; the group is killed only if it does not stop in time. */
export async function stopDev(dev: DevServer): Promise<void> {
  if (dev.child.exitCode !== null || dev.child.pid === undefined) return;
  try {
    process.kill(-dev.child.pid, "SIGINT");
  } catch {
    return;
  }
  const stopped = await Promise.race([dev.exited.then(() => true), sleep(30_000, false)]);
  if (!stopped) {
    process.kill(-dev.child.pid, "SIGKILL");
    throw new Error("npm run dev did not stop within 30 s of Ctrl-C");
  }
}

/** Waits up to `ms` for a process group to disappear. */
export async function waitGroupGone(group: number, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!groupIsGone(group)) {
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
  return true;
}
