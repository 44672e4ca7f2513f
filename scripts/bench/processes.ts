// The child processes the benchmark starts: each is remembered, so that stopAll() stops every
// one, by its pid, on the way out (normal end, error or Ctrl-C alike).
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { root } from "./settings.ts";

type Started = { child: ChildProcess; exited: Promise<void> };

const started: Started[] = [];

export async function runToEnd(command: string, args: string[]): Promise<void> {
  const child = spawn(command, args, { cwd: root, stdio: "inherit" });
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} failed (${signal ?? code})`);
}

/**
 * Starts a process this script owns: stopAll() stops it, by its pid. Its stdout is a pipe to read;
 * stderr is either shown as it comes or piped too.
 */
export function startProcess(
  command: string,
  args: string[],
  stdio: { stdin: "pipe" | "ignore"; stderr: "pipe" | "inherit" },
) {
  const child = spawn(command, args, {
    cwd: root,
    stdio: [stdio.stdin, "pipe", stdio.stderr],
    // Its own process group, so Ctrl-C reaches only this script, which then stops the children
    // in order (workerd before the database it is querying).
    detached: true,
  });
  const exited = new Promise<void>((resolveExit) => {
    child.once("exit", () => resolveExit());
    child.once("error", () => resolveExit());
  });
  started.push({ child, exited });
  return child;
}

export function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

async function stopProcess({ child, exited }: Started): Promise<void> {
  if (!isRunning(child)) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Newest first: workerd stops before the database it queries. */
export async function stopAll(): Promise<void> {
  for (const owned of [...started].reverse()) await stopProcess(owned);
}
