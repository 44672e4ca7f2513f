// drizzle/ up to (not including) a migration: a copy of the folder with the journal cut there, for
// a database as an earlier release left it (scripts/concurrent-indexes.test.ts, and the before
// side of scripts/bench/postgres-instructions.ts). The caller removes the folder.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const MIGRATIONS = resolve(import.meta.dirname, "..", "drizzle");

export function migrationsBefore(tag: string): string {
  const folder = mkdtempSync(join(tmpdir(), "migrations-"));
  cpSync(MIGRATIONS, folder, { recursive: true });
  const journalPath = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((entry) => entry.tag === tag);
  if (cut < 1) throw new Error(`no migration ${tag} after the first in ${MIGRATIONS}`);
  journal.entries = journal.entries.slice(0, cut);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}
