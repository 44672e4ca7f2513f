// Faults on demand for the workerd tests, run in Node by the global setup:
// - a switchable TCP proxy in front of the local SQL endpoint: `POST /endpoint/stop` closes its
//   port (connections are refused, open ones reset) and `POST /endpoint/start` opens it again,
//   as if the endpoint process stopped and came back;
// - peers that misbehave, by path: `/hang/...` reads the request and never answers, `/stall/...`
//   sends a 200's headers and never the body, `/reset/...` drops the connection, `/error/...`
//   answers 502 with a text body;
// - `POST /summary?part=NAME` writes the fuzzing summary to the file named by FUZZ_SUMMARY, since
//   a test inside workerd has no file system: each fuzz file sends its part, and the file holds
//   them merged.
import { writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createConnection, createServer as createTcpServer, type Socket } from "node:net";

async function readBody(req: IncomingMessage): Promise<string> {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  return raw;
}

type FuzzSummary = {
  seed: number;
  requests: number;
  byOperation: Record<string, Record<string, number>>;
  knownMismatches: Record<string, number>;
  documentRepairs: string[];
  unauthorisedChecked: number;
  failures: string[];
  startedAt: string;
  seconds: number;
};

/** The parts of the fuzz files as one summary: counts added, lists joined, the longest time. */
function mergeSummaries(parts: FuzzSummary[]): FuzzSummary {
  const add = (into: Record<string, number>, from: Record<string, number> = {}) => {
    for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
    return into;
  };
  const [first, ...rest] = structuredClone(parts) as [FuzzSummary, ...FuzzSummary[]];
  for (const part of rest) {
    first.requests += part.requests;
    for (const [key, counts] of Object.entries(part.byOperation)) {
      first.byOperation[key] = add(first.byOperation[key] ?? {}, counts);
    }
    add(first.knownMismatches, part.knownMismatches);
    first.documentRepairs = [...new Set([...first.documentRepairs, ...part.documentRepairs])];
    first.unauthorisedChecked += part.unauthorisedChecked;
    first.failures.push(...part.failures);
    if (part.startedAt < first.startedAt) first.startedAt = part.startedAt;
    first.seconds = Math.max(first.seconds, part.seconds);
  }
  return first;
}

/** A TCP proxy to `target` whose port can be closed and opened again. */
function switchableProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = createConnection(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) =>
      server.listen(port, "127.0.0.1", () => {
        port = (server.address() as { port: number }).port;
        resolve();
      }),
    );
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  return { listen, close, port: () => port, listening: () => server.listening };
}

export async function startFaultServer(options: { sqlEndpointUrl: string }) {
  const endpoint = new URL(options.sqlEndpointUrl);
  const proxy = switchableProxy({ host: endpoint.hostname, port: Number(endpoint.port) });
  await proxy.listen();
  const hanging = new Set<ServerResponse>();

  const summaryParts = new Map<string, FuzzSummary>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://faults");
    const path = url.pathname;
    const [, mode] = path.split("/");
    if (req.method === "POST" && path === "/endpoint/stop") {
      await proxy.close();
      return res.end("stopped");
    }
    if (req.method === "POST" && path === "/endpoint/start") {
      if (!proxy.listening()) await proxy.listen();
      return res.end("started");
    }
    if (req.method === "POST" && path === "/summary") {
      summaryParts.set(url.searchParams.get("part") ?? "", JSON.parse(await readBody(req)));
      const file = process.env.FUZZ_SUMMARY;
      if (file) {
        await writeFile(file, JSON.stringify(mergeSummaries([...summaryParts.values()]), null, 2));
      }
      return res.end(file ?? "");
    }
    await readBody(req);
    switch (mode) {
      case "hang":
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      case "stall":
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"command":"SELECT",');
        return;
      case "reset":
        return req.socket.destroy();
      default:
        res.writeHead(502, { "content-type": "text/plain" });
        return res.end("bad gateway");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const proxyUrl = new URL(options.sqlEndpointUrl);
  proxyUrl.port = String(proxy.port());
  return {
    url: `http://127.0.0.1:${port}`,
    /** The SQL endpoint's URL through the switchable proxy. */
    proxiedEndpointUrl: proxyUrl.toString(),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await proxy.close();
    },
  };
}
