// Calls the real Worker (its default export, the same object wrangler deploys) inside workerd,
// with the test bindings plus a database of this test file's own, so files never see each
// other's rows. Every request waits for the Worker's waitUntil work (such as sending mail).
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";

const database = `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;

export const testEnv: Record<string, unknown> = {
  ...env,
  DATABASE_URL: String((env as Record<string, unknown>).DATABASE_URL).replace(/[^/]+$/, database),
};

/** A client IP of its own, so a rate limit counts only the requests that send it. */
export function randomIp() {
  const [a, b, c] = crypto.getRandomValues(new Uint8Array(3));
  return `10.${a}.${b}.${c}`;
}

/** Bindings that point the Worker's driver at a closed port, as if the database were down. */
export const DATABASE_DOWN = { NEON_FETCH_ENDPOINT: "http://127.0.0.1:9/sql" };

export type CallOptions = {
  method?: string;
  body?: unknown;
  /** Sent as is, instead of JSON-encoding `body`. */
  rawBody?: BodyInit;
  headers?: Record<string, string>;
  token?: string;
  /** Scheme and host of the request URL (the Host the Worker sees); `http://localhost` if unset. */
  origin?: string;
  /** Bindings to replace for this one request (for example a broken configuration). */
  env?: Record<string, unknown>;
};

/**
 * Hands one request to the Worker, from a client IP of its own unless it names one (so the rate
 * limits, real bindings shared by the whole run, only bite where a test means them to), and waits
 * for its background work. A `fetch` for clients such as hono/client's `hc`.
 */
export async function fetchWorker(
  input: RequestInfo | URL,
  init?: RequestInit,
  env: Record<string, unknown> = testEnv,
): Promise<Response> {
  return (await runWorker(new Request(input, init), env)).response;
}

/** fetchWorker, also telling how long the client waited for its answer (before background work). */
async function runWorker(request: Request, env: Record<string, unknown>) {
  if (!request.headers.has("CF-Connecting-IP")) {
    request.headers.set("CF-Connecting-IP", randomIp());
  }
  const ctx = createExecutionContext();
  const started = performance.now();
  const response = await worker.fetch(request, env, ctx);
  const answeredMs = performance.now() - started;
  await waitOnExecutionContext(ctx);
  return { response, answeredMs };
}

export async function call(path: string, options: CallOptions = {}) {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("Authorization", `Bearer ${options.token}`);
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  const { response, answeredMs } = await runWorker(
    new Request(`${options.origin ?? "http://localhost"}${path}`, {
      method: options.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body,
    }),
    options.env ? { ...testEnv, ...options.env } : testEnv,
  );
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies of every shape.
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json, answeredMs };
}

export type CallResult = Awaited<ReturnType<typeof call>>;

/** Asserts the RFC 9457 shape every error of the API shares, and returns the body. */
export function expectProblem(response: CallResult, status: number, code: string) {
  const body = response.json;
  if (
    response.status !== status ||
    !response.headers.get("content-type")?.startsWith("application/problem+json") ||
    body?.status !== status ||
    body?.code !== code ||
    typeof body?.title !== "string" ||
    typeof body?.detail !== "string" ||
    typeof body?.request_id !== "string"
  ) {
    throw new Error(
      `expected a ${status} ${code} problem, got ${response.status} ${response.headers.get("content-type")}: ${response.text}`,
    );
  }
  return body as {
    type: string;
    title: string;
    status: number;
    detail: string;
    code: string;
    errors?: { path: string; message: string }[];
    request_id: string;
  };
}
