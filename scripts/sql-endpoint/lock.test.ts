import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSqlEndpoint } from "./index.ts";
import { LOCK_FILE } from "./lock.ts";
import { migrationsFolder } from "./test-support.ts";

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "pglite-lock-"));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const start = () =>
  startSqlEndpoint({
    backend: { kind: "pglite", dataDir },
    migrationsFolder,
    databases: ["locked"],
  });

describe("the PGlite data folder lock", () => {
  it("refuses a second endpoint on a folder another one holds, naming the holder", async () => {
    const first = await start();
    try {
      await expect(start()).rejects.toThrow(`in use by another process (pid ${process.pid}`);
    } finally {
      await first.close();
    }
  });

  it("is released on close, so the next dev server opens the folder", async () => {
    await (await start()).close();
    await expect(readFile(join(dataDir, LOCK_FILE))).rejects.toThrow();
    await (await start()).close();
  });

  it("takes over a stale lock whose process is gone", async () => {
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    await writeFile(
      join(dataDir, LOCK_FILE),
      JSON.stringify({ pid: gone, since: "2026-01-01T00:00:00.000Z", purpose: "a crashed run" }),
    );
    const endpoint = await start();
    const holder = JSON.parse(await readFile(join(dataDir, LOCK_FILE), "utf8"));
    expect(holder.pid).toBe(process.pid);
    await endpoint.close();
  });
});
