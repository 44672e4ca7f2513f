// Runs a command (wrangler dev) as the leader of a process group of its own, and ends that whole
// group (wrangler, its second node process, workerd) as soon as the process that started it is
// gone, however it went: even `kill -9` of `npm run dev` leaves nothing running. The parent holds
// this process's stdin open; its end is the signal. Plain JavaScript: Node runs it as it is.
//
//   node scripts/dev-guard.mjs COMMAND [ARGS...]
import { spawn } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });

function endGroup(signal) {
  try {
    process.kill(-process.pid, signal);
  } catch {
    // ESRCH: nothing left.
  }
}

process.stdin.on("close", () => {
  endGroup("SIGTERM");
  setTimeout(() => endGroup("SIGKILL"), 10_000).unref();
});
process.stdin.resume();

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("error", (error) => {
  console.error(`could not start ${command}: ${error.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal ? 128 : 1));
});
