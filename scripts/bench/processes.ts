// The child processes the benchmark starts: each is remembered, so that stopAll() stops every
// one, by its pid, on the way out (normal end, error or Ctrl-C alike); and the CPU time a process
// has used, read from /proc by its pid.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
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

const clockTicksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));

/** User and system CPU time of the whole process (all its threads), in seconds. */
export function cpuTimesOf(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields 14 and 15 (utime, stime); the command name before them may contain spaces, so count
  // from the ")" that closes it: the field after it is field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    user: Number(fields[11]) / clockTicksPerSecond,
    system: Number(fields[12]) / clockTicksPerSecond,
  };
}

/** User plus system CPU time of the whole process, in seconds. */
export function cpuSecondsOf(pid: number): number {
  const { user, system } = cpuTimesOf(pid);
  return user + system;
}

/**
 * User plus system CPU time of the PostgreSQL backends connected to `database`, in seconds: the
 * database's own share of a run, which no process of ours shows, and no other database's (tests
 * of other work may use the same server meanwhile). A backend names its database in its process
 * title. The server's background processes are not counted: a backend writes and flushes its own
 * WAL at commit. A backend that exits during a run takes its time with it, so this is a lower
 * bound; the endpoint's pool keeps its connections open through a scenario.
 */
export function postgresCpuSeconds(database: string): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // ended meanwhile
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    if (name !== "postgres") continue;
    let title: string;
    try {
      title = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    // "postgres: 15/main: postgres bench_... 127.0.0.1(40000) idle"
    if (!title.includes(` ${database} `)) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    total += (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  }
  return total;
}

/**
 * CPU time of all of a process's threads, in nanoseconds (each thread's schedstat): finer than
 * the clock ticks of cpuTimesOf, for short measurements (observability-parts.ts).
 */
export function threadCpuNanoseconds(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total;
}
