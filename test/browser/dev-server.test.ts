// What `npm run dev` promises about itself, beside the one the other tests use.
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
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

  it("keeps the SQL endpoint's secret off every command line, and leaves nothing running when it is killed with -9", async () => {
    const scratch = await mkdtemp(join(tmpdir(), "dev-kill-"));
    const dev = startDev({ port: await freePort(), pgliteDir: scratch });
    let secretFile: string | undefined;
    try {
      await waitForBanner(dev);
      const group = wranglerGroup(dev);
      expect(group).toBeDefined();
      expect(groupIsGone(group as number)).toBe(false);

      // /proc/*/cmdline is world-readable: the secret reaches wrangler in a file of this user's.
      const commandLines = commandLinesOf([dev.child.pid as number, group as number]);
      const envFiles = commandLines.flatMap((args) =>
        args.flatMap((arg, i) => (args[i - 1] === "--env-file" ? [arg] : [])),
      );
      secretFile = envFiles.find((file) => file.endsWith("worker.env"));
      expect(secretFile, JSON.stringify(commandLines)).toBeDefined();
      const secret = new URL(
        /DATABASE_URL='(.*)'/.exec(await readFile(secretFile as string, "utf8"))?.[1] ?? "",
      ).password;
      expect(secret.length).toBeGreaterThan(16);
      expect((await stat(secretFile as string)).mode & 0o777).toBe(0o600);
      expect((await stat(dirname(secretFile as string))).mode & 0o777).toBe(0o700);
      for (const args of commandLines) {
        const line = args.join(" ");
        expect(line).not.toContain(secret);
        expect(line).not.toMatch(/DATABASE_URL:|postgres(ql)?:\/\/[^\s/@]*:[^\s/@]+@/);
      }
      // ...and the Worker has it: its database answers.
      const ready = await fetch(`http://127.0.0.1:${dev.port}/health/ready`);
      expect(ready.status, await ready.text()).toBe(200);
      // Its request lines are readable one-liners there, not production's JSON.
      await expect
        .poll(() => dev.output(), { timeout: 10_000 })
        .toMatch(/^200 GET \/health\/ready \d+(\.\d)?ms db=\d+\/[\d.]+ms req=\S+$/m);

      process.kill(-(dev.child.pid as number), "SIGKILL");
      expect(await waitGroupGone(group as number)).toBe(true);
      expect(dev.output()).not.toMatch(/ENOTFOUND|getaddrinfo/);
    } finally {
      await stopDev(dev).catch(() => {});
      await rm(scratch, { recursive: true, force: true });
      // Only a clean stop removes it; after kill -9 the (now useless) secret stays behind.
      if (secretFile) await rm(dirname(secretFile), { recursive: true, force: true });
    }
  });
});

/** The argument lists of every process in these process groups (Linux's /proc). */
function commandLinesOf(groups: number[]): string[][] {
  const lines: string[][] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the command name (which may hold spaces) in parentheses: state ppid pgrp.
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (!groups.includes(pgrp)) continue;
      lines.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean));
    } catch {
      // The process ended while we looked.
    }
  }
  return lines;
}
