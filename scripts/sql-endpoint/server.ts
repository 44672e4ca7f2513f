// The local SQL endpoint's HTTP server: POST /sql in Neon's protocol, on 127.0.0.1 only, answered
// by the database the connection string names (opened on first use) once access.ts has let the
// request through, until close() lets the requests in flight finish and closes every database.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename } from "node:path";
import { redactUrl } from "../dev-vars.ts";
import { type AllowedDatabases, accessRules, newSecret } from "./access.ts";
import { pgOpener } from "./backends/pg.ts";
import { pgliteOpener } from "./backends/pglite.ts";
import { type Backend, type Database, isDatabaseError, type Log } from "./database.ts";
import { HttpError, headerOf, messageOf, parseJson, readBody, sendJson } from "./http.ts";
import { lockDataDir } from "./lock.ts";
import { databaseRegistry } from "./registry.ts";
import { batchOptionsOf, connectionTargetOf, type ParsedRequest, parseRequest } from "./request.ts";
import { databaseErrorBody, toWire } from "./response.ts";

export type SqlEndpointOptions = {
  backend: Backend;
  /** drizzle migrations folder, e.g. "<repo>/drizzle" */
  migrationsFolder: string;
  /**
   * The only databases requests may use (and the endpoint create and migrate): names, or a rule
   * for names made up at run time such as the tests' one database per test file.
   */
  databases: AllowedDatabases;
  /** default 0 = pick a free port */
  port?: number;
  /** default silent */
  log?: Log;
  /**
   * Called with every SQL request that passed the access rules and parsed, before it runs (the
   * benchmark counts and records them this way). Default none.
   */
  onRequest?: (database: string, request: ParsedRequest) => void;
};

export type SqlEndpoint = {
  /** e.g. http://127.0.0.1:PORT/sql, for `neonConfig.fetchEndpoint` */
  url: string;
  port: number;
  /**
   * Generated for this run: every request's Neon-Connection-String must carry it as its
   * password, e.g. postgres://local:SECRET@localhost/user_api.
   */
  secret: string;
  close(): Promise<void>;
};

export async function startSqlEndpoint(opts: SqlEndpointOptions): Promise<SqlEndpoint> {
  const log: Log = opts.log ?? (() => {});
  const dataDir = opts.backend.kind === "pglite" ? opts.backend.dataDir : undefined;
  const unlock = dataDir
    ? await lockDataDir(dataDir, `the local SQL endpoint of ${basename(process.argv[1] ?? "node")}`)
    : undefined;
  const secret = newSecret();
  const rules = accessRules(secret, opts.databases);
  const open =
    opts.backend.kind === "pglite"
      ? pgliteOpener(opts.backend.dataDir, opts.migrationsFolder, log)
      : pgOpener(opts.backend.url, opts.migrationsFolder, log);
  const databases = databaseRegistry(open);
  let closing = false;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status >= 500) log(`sql-endpoint: ${messageOf(error)}`);
      sendJson(res, status, { message: messageOf(error) });
    });
  });
  // workerd keeps its connections to the endpoint open longer than Node's 5 s default: a request
  // sent on one that Node has just closed fails as "Network connection lost" (a 503 under load).
  server.keepAliveTimeout = 65_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    rules.checkHost(headerOf(req, "host"));
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== "/sql") throw new HttpError(404, `no route for ${path}; POST /sql`);
    if (req.method !== "POST") {
      res.setHeader("Allow", "POST");
      throw new HttpError(405, "only POST is supported");
    }
    if (closing) throw new HttpError(503, "the SQL endpoint is shutting down");
    const name = rules.databaseOf(connectionTargetOf(headerOf(req, "neon-connection-string")));

    const body = parseJson(await readBody(req));
    const request = parseRequest(body);
    opts.onRequest?.(name, request);
    const batchOptions = request.kind === "batch" ? batchOptionsOf(req) : {};
    const arrayMode = headerOf(req, "neon-array-mode")?.toLowerCase() === "true";

    let database: Database;
    try {
      database = await databases.get(name);
    } catch (error) {
      throw new HttpError(500, `could not prepare database "${name}": ${messageOf(error)}`);
    }

    try {
      if (request.kind === "batch") {
        const results = await database.batch(request.statements, batchOptions);
        sendJson(res, 200, { results: results.map((r) => toWire(r, arrayMode)) });
      } else {
        sendJson(res, 200, toWire(await database.run(request.statement), arrayMode));
      }
    } catch (error) {
      if (!isDatabaseError(error)) throw error;
      sendJson(res, 400, databaseErrorBody(error));
    }
  }

  try {
    await new Promise<void>((resolvePromise, reject) => {
      server.once("error", reject);
      // Loopback only: nothing off this machine may reach an endpoint that runs any SQL it is sent.
      server.listen(opts.port ?? 0, "127.0.0.1", () => {
        server.off("error", reject);
        resolvePromise();
      });
    });
  } catch (error) {
    await unlock?.();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/sql`;
  const backendText =
    opts.backend.kind === "pglite"
      ? `PGlite ${opts.backend.dataDir ? `in ${opts.backend.dataDir}` : "in memory"}`
      : `PostgreSQL at ${redactUrl(opts.backend.url)}`;
  log(`sql-endpoint: listening on ${url} (${backendText})`);

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    secret,
    close() {
      closed ??= (async () => {
        closing = true;
        await new Promise<void>((resolvePromise) => {
          // Requests in flight may finish; a client that keeps a socket busy must not hang
          // the shutdown.
          const timer = setTimeout(() => server.closeAllConnections(), 5_000);
          server.close(() => {
            clearTimeout(timer);
            resolvePromise();
          });
          server.closeIdleConnections();
        });
        await databases.closeAll();
        await unlock?.();
        log("sql-endpoint: closed");
      })();
      return closed;
    },
  };
}
