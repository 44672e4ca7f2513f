// The database side of `npm run bench`, run by scripts/bench/index.ts as a child process so that
// the SQL endpoint never shares an event loop (or a CPU-time reading) with the load generator. It
// starts the local SQL endpoint and puts a counting proxy in front of it: the Worker sends every
// query to the proxy, and the count of forwarded requests is the number of database round trips.
//
//   node --import tsx scripts/bench/database-server.ts \
//     '{"backend":{"kind":"pg","url":"postgres://..."},"database":"bench_..."}'
//
// Serves that one database. Prints one JSON line {"sqlUrl", "countUrl", "secret"} on stdout once
// both listen; the secret is the password the Worker's DATABASE_URL must carry. `GET /count` on the
// proxy answers {"requests": N}. Stops on SIGTERM, SIGINT, or when its parent closes stdin.
import { Agent, createServer, type IncomingHttpHeaders, request } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { type Backend, startSqlEndpoint } from "../sql-endpoint/index.ts";

const { backend, database } = JSON.parse(process.argv[2] ?? "") as {
  backend: Backend;
  database: string;
};
const endpoint = await startSqlEndpoint({
  backend,
  databases: [database],
  migrationsFolder: resolve(import.meta.dirname, "..", "..", "drizzle"),
  log: (line) => process.stderr.write(`${line}\n`),
});
const target = new URL(endpoint.url);
// Kept-alive sockets to the endpoint, as the Worker's own fetch keeps its sockets to the proxy:
// the proxy then adds one local hop per query and no connection set-up.
const agent = new Agent({ keepAlive: true });
let forwarded = 0;

// Hop-by-hop headers describe one connection, not the request, so they are not passed on.
function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { connection: _connection, "keep-alive": _keepAlive, ...rest } = headers;
  return rest;
}

const proxy = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/count") {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ requests: forwarded }));
    return;
  }
  forwarded += 1;
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      path: req.url,
      method: req.method,
      headers: endToEnd(req.headers),
      agent,
    },
    (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, endToEnd(upstreamRes.headers));
      upstreamRes.pipe(res);
    },
  );
  upstream.on("error", (error) => {
    if (!res.headersSent) res.writeHead(502, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ message: `bench proxy: ${error.message}` }));
  });
  req.pipe(upstream);
});

await new Promise<void>((resolveListen) => proxy.listen(0, "127.0.0.1", resolveListen));
const { port } = proxy.address() as AddressInfo;

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  proxy.closeAllConnections();
  proxy.close();
  agent.destroy();
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
    sqlUrl: `http://127.0.0.1:${port}${target.pathname}`,
    countUrl: `http://127.0.0.1:${port}/count`,
    secret: endpoint.secret,
  })}\n`,
);
