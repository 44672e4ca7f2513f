// The databases the endpoint has open: one per name, opened (and migrated) on first use.
// Concurrent first requests share one promise; a failed open is forgotten so the next request
// tries again.
import type { Database, Opener } from "./database.ts";

export function databaseRegistry(open: Opener) {
  const databases = new Map<string, Promise<Database>>();
  let closed = false;
  return {
    get(name: string): Promise<Database> {
      // A request cut off by close() must not open a database nobody would close.
      if (closed) return Promise.reject(new Error("the SQL endpoint is closed"));
      let database = databases.get(name);
      if (!database) {
        const opening = open(name);
        databases.set(name, opening);
        opening.catch(() => {
          if (databases.get(name) === opening) databases.delete(name);
        });
        database = opening;
      }
      return database;
    },
    async closeAll(): Promise<void> {
      closed = true;
      const all = [...databases.values()];
      databases.clear();
      await Promise.allSettled(all.map(async (database) => (await database).close()));
    },
  };
}
