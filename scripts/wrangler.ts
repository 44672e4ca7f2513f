// `npm run wrangler -- ARGS` (and `npm run build`, `npm run deploy`): wrangler with its arguments,
// on the same Node that `npm run dev` uses (Node 24 from the npm registry when this machine's Node
// is too old).
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { nodeForWrangler, wranglerEnv } from "./node-runtime.ts";

const root = resolve(import.meta.dirname, "..");
const child = spawn(
  nodeForWrangler(),
  [resolve(root, "node_modules/wrangler/bin/wrangler.js"), ...process.argv.slice(2)],
  { cwd: root, stdio: "inherit", env: wranglerEnv() },
);
child.once("error", (error) => {
  console.error(`could not start wrangler: ${error.message}`);
  process.exit(1);
});
child.once("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => child.kill(signal));
}
