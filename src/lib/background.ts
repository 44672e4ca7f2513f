import type { Context } from "hono";
import { pgErrorOf } from "../db/errors";

/**
 * Runs work after the response (`waitUntil`). A failure is caught and logged by error name and
 * Postgres code only: drizzle's messages quote query parameters (hashes, addresses, tokens).
 */
export function inBackground(c: Context, event: string, work: () => Promise<unknown>): void {
  const requestId = c.get("requestId") as string | undefined;
  c.executionCtx.waitUntil(
    work().then(
      () => undefined,
      (error: unknown) => {
        console.error(
          JSON.stringify({
            level: "error",
            event,
            request_id: requestId,
            error: error instanceof Error ? error.name : typeof error,
            pg_code: pgErrorOf(error)?.code,
          }),
        );
      },
    ),
  );
}
