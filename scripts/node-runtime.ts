// wrangler needs Node >= 22.12, while many machines still ship Node 20. Rather than fail, `npm run
// dev`, `npm run build` and `npm run deploy` run wrangler on a Node 24 that they install once from
// the npm registry's `node` package (the same way .ci/run does), kept in a cache folder outside
// the project.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);

export function nodeForWrangler(): string {
  if (major > 22 || (major === 22 && minor >= 12)) return process.execPath;
  const dir = process.env.NODE24_DIR ?? join(homedir(), ".cache", "user-management-api", "node24");
  const binary = join(dir, "node_modules", ".bin", "node");
  if (!existsSync(binary)) {
    console.log(`Node ${process.version} is too old for wrangler: installing Node 24 into ${dir}`);
    allowNodeInstallScript(dir);
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    execFileSync(
      npm,
      ["install", "--prefix", dir, "--no-save", "--no-audit", "--no-fund", "node@24"],
      {
        stdio: "inherit",
      },
    );
  }
  return binary;
}

/**
 * The `node` package fetches its binary in a preinstall script, which npm 11 runs but warns about
 * ("install scripts not yet covered by allowScripts") unless the folder's package.json allows it.
 */
export function allowNodeInstallScript(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const manifest = join(dir, "package.json");
  if (!existsSync(manifest)) {
    writeFileSync(manifest, `${JSON.stringify({ private: true, allowScripts: { node: true } })}\n`);
  }
}

/**
 * The environment for wrangler on a developer's machine: no usage metrics, no error reports and no
 * download of Cloudflare's request metadata, so an offline machine gets no ENOTFOUND stack
 * traces. A value the developer set wins.
 */
export function wranglerEnv(): NodeJS.ProcessEnv {
  return {
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    ...process.env,
  };
}
