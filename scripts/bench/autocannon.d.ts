// autocannon ships no types, and @types/autocannon describes an older major version: this is the
// part of autocannon 9's programmatic API that scripts/bench/measure.ts and chains.ts use, checked
// against its README, lib/aggregateResult.js and lib/httpClient.js.
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  export type Method = "GET" | "POST" | "PATCH";

  /** What a request of `requests` is built from, as setupRequest sees and returns it. */
  export type RequestData = {
    method?: Method;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  };

  export type Request = RequestData & {
    setupRequest?: (request: RequestData, context: Record<string, unknown>) => RequestData;
    onResponse?: (
      status: number,
      body: string,
      context: Record<string, unknown>,
      headers: Record<string, string | string[]>,
    ) => void;
  };

  /** One connection. */
  export type Client = EventEmitter & {
    setRequests(requests: Request[]): void;
  };

  export type Options = {
    url: string;
    connections?: number;
    /** seconds; ignored when `amount` is given */
    duration?: number;
    /** the number of requests to make (spread over the connections) */
    amount?: number;
    method?: Method;
    headers?: Record<string, string>;
    body?: string;
    /** called with each connection's Client before it connects */
    setupClient?: (client: Client) => void;
  };

  export type Histogram = {
    average: number;
    min: number;
    max: number;
    p50: number;
    p99: number;
  };

  export type Result = {
    /** seconds, to 10 ms */
    duration: number;
    /** connection errors, timeouts included */
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram;
    /** `total` is the number of completed requests, `sent` includes those in flight at the end */
    requests: Histogram & { total: number; sent: number };
  };

  export type Instance = EventEmitter &
    PromiseLike<Result> & {
      stop(): void;
      on(
        event: "response",
        listener: (client: Client, statusCode: number, bytes: number, milliseconds: number) => void,
      ): Instance;
    };

  export default function autocannon(options: Options): Instance;
}
