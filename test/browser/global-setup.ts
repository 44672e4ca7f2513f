// One `npm run dev` for the browser tests: a free port, a fresh PGlite folder, the `log` mail
// provider (so reset links appear in its output) and an admin key made up for this run. After
// the tests it is stopped with Ctrl-C, and nothing it started may be left running.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import {
  type DevServer,
  freePort,
  startDev,
  stopDev,
  waitForBanner,
  waitGroupGone,
  wranglerGroup,
} from "./dev-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    adminKey: string;
    devLogFile: string;
    pgliteDir: string;
  }
}

export default async function setup(project: TestProject) {
  const pgliteDir = await mkdtemp(join(tmpdir(), "browser-pglite-"));
  const logDir = await mkdtemp(join(tmpdir(), "browser-dev-log-"));
  const devLogFile = join(logDir, "dev.log");
  const adminKey = randomBytes(24).toString("base64url");
  const port = await freePort();
  const dev: DevServer = startDev({
    port,
    pgliteDir,
    wranglerArgs: ["--var", `SECRET_ADMIN_KEY:${adminKey}`, "--var", "MAIL_PROVIDER:log"],
  });
  const flush = () => writeFile(devLogFile, dev.output());
  const timer = setInterval(() => void flush(), 200);
  try {
    await waitForBanner(dev);
  } catch (error) {
    clearInterval(timer);
    await stopDev(dev).catch(() => {});
    throw error;
  }
  await flush();
  project.provide("baseUrl", `http://127.0.0.1:${port}`);
  project.provide("adminKey", adminKey);
  project.provide("devLogFile", devLogFile);
  project.provide("pgliteDir", pgliteDir);

  return async () => {
    clearInterval(timer);
    const group = wranglerGroup(dev);
    await stopDev(dev);
    if (group !== undefined && !(await waitGroupGone(group))) {
      process.kill(-group, "SIGKILL");
      throw new Error(`npm run dev left wrangler's process group ${group} running after Ctrl-C`);
    }
    await rm(pgliteDir, { recursive: true, force: true });
    await rm(logDir, { recursive: true, force: true });
  };
}
