// One process at a time per PGlite data folder: two PGlite instances writing the same files
// corrupt them, so a second dev server (or endpoint) must refuse the folder instead of opening it.
// The lock is a file naming its holder's pid; a lock whose process is gone is stale and taken.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const LOCK_FILE = "dev-server.lock";

type Holder = { pid: number; since: string; purpose: string };

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as { code?: string }).code === "EPERM";
  }
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as Holder;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock of `dir` for this process, or throws naming the process that holds it. Returns
 * the release, which removes the file only while it is still this process's.
 */
export async function lockDataDir(dir: string, purpose: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const mine: Holder = { pid: process.pid, since: new Date().toISOString(), purpose };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, JSON.stringify(mine), { flag: "wx" });
      return async () => {
        const holder = await readHolder(file);
        if (holder?.pid === mine.pid && holder.since === mine.since)
          await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
    }
    const holder = await readHolder(file);
    if (holder && isRunning(holder.pid)) {
      throw new Error(
        `${dir} is in use by another process (pid ${holder.pid}, ${holder.purpose}, since ${holder.since}). Stop it first; if no such process runs, delete ${file}.`,
      );
    }
    // Stale (its process is gone) or unreadable: clear it and try again.
    await rm(file, { force: true });
  }
  throw new Error(`could not take the lock ${file}`);
}
