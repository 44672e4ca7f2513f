// What `npm run dev` promises about itself, beside the one the other tests use.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import {
  freePort,
  groupIsGone,
  startDev,
  stopDev,
  waitForBanner,
  waitGroupGone,
  wranglerGroup,
} from "./dev-server.ts";

const baseUrl = inject("baseUrl");
const pgliteDir = inject("pgliteDir");
const runningPort = Number(new URL(baseUrl).port);

describe("npm run dev", () => {
  it("refuses a busy port before it starts anything", async () => {
    const scratch = await mkdtemp(join(tmpdir(), "dev-port-"));
    const dev = startDev({ port: runningPort, pgliteDir: scratch });
    expect(await dev.exited).not.toBe(0);
    expect(dev.output()).toContain(`Port ${runningPort} is already in use`);
    expect(dev.output()).not.toContain("is running");
    expect(dev.output()).not.toContain("wrangler dev starting");
    await rm(scratch, { recursive: true, force: true });
  });

  it("refuses the PGlite folder another dev server holds", async () => {
    const dev = startDev({ port: await freePort(), pgliteDir });
    expect(await dev.exited).not.toBe(0);
    expect(dev.output()).toMatch(/is in use by another process \(pid \d+/);
    expect(dev.output()).not.toContain("wrangler dev starting");
  });

  it("leaves nothing running when it is killed with -9, and says nothing of ENOTFOUND", async () => {
    const scratch = await mkdtemp(join(tmpdir(), "dev-kill-"));
    const dev = startDev({ port: await freePort(), pgliteDir: scratch });
    try {
      await waitForBanner(dev);
      const group = wranglerGroup(dev);
      expect(group).toBeDefined();
      expect(groupIsGone(group as number)).toBe(false);
      process.kill(-(dev.child.pid as number), "SIGKILL");
      expect(await waitGroupGone(group as number)).toBe(true);
      expect(dev.output()).not.toMatch(/ENOTFOUND|getaddrinfo/);
    } finally {
      await stopDev(dev).catch(() => {});
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
