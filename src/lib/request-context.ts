import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What one request (or one cron run) gathers for its log line and its metrics while it runs. The
 * database client is shared by every request of the isolate, and Workers run several requests of
 * an isolate at once, so the driver's fetch finds the request it works for through the async
 * context (AsyncLocalStorage, wrangler.toml's `nodejs_als`), never through a module variable.
 */
export type RequestStats = {
  /** Database round trips (HTTP requests to the SQL endpoint) and their time until the answer. */
  dbTrips: number;
  dbMs: number;
  /** The authenticated or newly authenticated user's id, for the log line's keyed hash. */
  userId?: string;
  /** The limiter or account guard that refused the request with 429, if one did. */
  limitedBy?: string;
  /** Where the request came in (request.cf), for the log line and the metrics. */
  colo?: string;
  country?: string;
  /** The Analytics Engine dataset (the METRICS binding); undefined turns metrics off. */
  metrics?: AnalyticsEngineDataset;
  /**
   * The request's ExecutionContext, to ask whether the runtime traces the request (and for its
   * custom spans, `ExecutionContext.tracing`): kept only until the request's first span asks
   * (lib/tracing.ts), so that the stats, which the async context keeps alive while anything the
   * request started still runs, do not keep the context too.
   */
  traceSource?: TracedContext;
  /** The answer, once asked: the runtime's custom spans, or null when the request is not traced. */
  tracing?: Tracing | null;
};

/** Workers' ExecutionContext, with the tracing hono's own type does not list. */
export type TracedContext = { tracing?: Tracing };

const storage = new AsyncLocalStorage<RequestStats>();

export const newStats = (): RequestStats => ({ dbTrips: 0, dbMs: 0 });

/** Runs `work` with `stats` as the current request's. */
export const withStats = <T>(stats: RequestStats, work: () => T): T => storage.run(stats, work);

/** The current request's stats; undefined outside a request (module set-up, a test's own query). */
export const currentStats = (): RequestStats | undefined => storage.getStore();

/** Names the user the current request acts for (its log line shows a keyed hash of the id). */
export function noteUser(id: string): void {
  const stats = storage.getStore();
  if (stats) stats.userId = id;
}
