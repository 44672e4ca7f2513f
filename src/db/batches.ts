import { type SQL, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./client";

/**
 * One bounded batch of the cron's deletes: at most `limit` rows of `table` for which `condition`
 * holds, found through the index that serves the condition (the LIMIT stops the walk) and then
 * deleted by their physical address (a TID scan), so the delete itself reads those rows and no
 * others, whatever the size of the table. A row that a concurrent request renewed meanwhile (a
 * throttle window restarted, a token issued anew) has a new version at another address, which
 * the delete, re-reading it under READ COMMITTED, finds no longer matching: it stays. Answers
 * how many rows went.
 */
export async function deleteBatch(
  db: Db,
  table: PgTable,
  condition: SQL,
  limit: number,
): Promise<number> {
  const result = await db.execute(sql`
    delete from ${table} where ctid = any(array(
      select ctid from ${table} where ${condition} limit ${limit}))
    and ${condition}`);
  return result.rowCount ?? 0;
}
