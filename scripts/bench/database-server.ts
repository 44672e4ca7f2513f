// The database side of `npm run bench`, run by scripts/bench/index.ts as a child process so that
// the SQL endpoint never shares an event loop (or a CPU-time reading) with the load generator, and
// so that this process's CPU time is the endpoint's own. The Worker sends its queries to the
// endpoint directly; the endpoint's onRequest hook counts every SQL request (the database round
// trips) and, while the bench has named a scenario, records the distinct statements it received
// with one sample of their parameters, for the query plans (plans.ts).
//
//   node --import tsx scripts/bench/database-server.ts \
//     '{"backend":{"kind":"pg","url":"postgres://..."},"database":"bench_..."}'
//
// Serves that one database. Prints one JSON line {"sqlUrl", "controlUrl", "secret"} on stdout once
// both servers listen; the secret is the password the Worker's DATABASE_URL must carry. The
// control server, on a port of its own, answers the bench only:
//   GET  /count     {"requests": N}, the SQL requests so far
//   POST /label     body {"label": "name" | null}: the scenario the next statements belong to
//   GET  /recorded  {"<label>": [{query, params, calls, inTransaction}], ...}
// Stops on SIGTERM, SIGINT, or when its parent closes stdin.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import {
  type Backend,
  type ParsedRequest,
  type Statement,
  startSqlEndpoint,
} from "../sql-endpoint/index.ts";

export type RecordedStatement = Statement & { calls: number; inTransaction: boolean };

const { backend, database } = JSON.parse(process.argv[2] ?? "") as {
  backend: Backend;
  database: string;
};

let requests = 0;
let label: string | null = null;
const recorded = new Map<string, Map<string, RecordedStatement>>();

function record(request: ParsedRequest): void {
  requests += 1;
  if (label === null) return;
  let statements = recorded.get(label);
  if (!statements) {
    statements = new Map();
    recorded.set(label, statements);
  }
  const list = request.kind === "batch" ? request.statements : [request.statement];
  for (const statement of list) {
    const seen = statements.get(statement.query);
    if (seen) seen.calls += 1;
    else
      statements.set(statement.query, { ...statement, calls: 1, inTransaction: list.length > 1 });
  }
}

const endpoint = await startSqlEndpoint({
  backend,
  databases: [database],
  migrationsFolder: resolve(import.meta.dirname, "..", "..", "drizzle"),
  log: (line) => process.stderr.write(`${line}\n`),
  onRequest: (_database, request) => record(request),
});

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

const control = createServer((req, res) => {
  const answer = (status: number, body?: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  if (req.method === "GET" && req.url === "/count") return answer(200, { requests });
  if (req.method === "GET" && req.url === "/recorded") {
    const all = [...recorded].map(([name, statements]) => [name, [...statements.values()]]);
    return answer(200, Object.fromEntries(all));
  }
  if (req.method === "POST" && req.url === "/label") {
    bodyOf(req).then(
      (body) => {
        const next = (body as { label?: unknown }).label;
        if (next !== null && typeof next !== "string") return answer(400, { message: "label?" });
        label = next;
        answer(204);
      },
      (error: unknown) => answer(400, { message: String(error) }),
    );
    return;
  }
  answer(404, { message: `no route for ${req.method} ${req.url}` });
});

await new Promise<void>((resolveListen) => control.listen(0, "127.0.0.1", resolveListen));
const { port } = control.address() as AddressInfo;

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  control.closeAllConnections();
  control.close();
  await endpoint.close();
  process.exit(0);
}
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const)
  process.on(signal, () => void stop());
// The parent holds our stdin open; if it dies without signalling us, we must not linger.
process.stdin.on("close", () => void stop());
process.stdin.resume();

process.stdout.write(
  `${JSON.stringify({
    sqlUrl: endpoint.url,
    controlUrl: `http://127.0.0.1:${port}`,
    secret: endpoint.secret,
  })}\n`,
);
