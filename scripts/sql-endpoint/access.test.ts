// The local SQL endpoint runs any SQL it is sent, so it must serve only this project's Worker:
// these tests knock on it the ways anyone else could, on each backend.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { connect as connectTcp } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SqlEndpoint, startSqlEndpoint } from "./index.ts";
import {
  backends,
  connect,
  connectionString,
  dropDatabases,
  migrationsFolder,
  post,
  randomName,
} from "./test-support.ts";

const selectOne = { query: "select 1 as one", params: [] };

/** fetch() may not set Host; a web page after DNS rebinding sends its own name there. */
function postWithHost(endpoint: SqlEndpoint, host: string, database: string) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request(endpoint.url, {
      method: "POST",
      headers: {
        Host: host,
        "Neon-Connection-String": connectionString(endpoint.secret, database),
        "Neon-Array-Mode": "true",
      },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
        }),
      );
    });
    req.on("error", reject);
    req.end(JSON.stringify(selectOne));
  });
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port, timeout: 2_000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** This machine's addresses other than loopback (link-local IPv6 needs a scope: left out). */
function otherAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((address) => !address.internal && !address.address.startsWith("fe80:"))
    .map((address) => address.address);
}

describe.each(backends)("local SQL endpoint access on %s", (_label, backend) => {
  let endpoint: SqlEndpoint;
  // PGlite keeps data on disk here, so a database it created would show as a folder.
  let dataDir: string | undefined;
  const served = randomName();
  const unlisted = randomName();

  beforeAll(async () => {
    if (backend.kind === "pglite") dataDir = await mkdtemp(join(tmpdir(), "sql-endpoint-access-"));
    endpoint = await startSqlEndpoint({
      backend: backend.kind === "pglite" ? { kind: "pglite", dataDir } : backend,
      migrationsFolder,
      databases: [served],
    });
    expect((await post(endpoint, selectOne, served)).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await endpoint?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    if (backend.kind === "pg") await dropDatabases(backend.url, [served, unlisted]);
  }, 60_000);

  it("listens on 127.0.0.1 only", async () => {
    expect(new URL(endpoint.url).hostname).toBe("127.0.0.1");
    expect(await accepts("127.0.0.1", endpoint.port)).toBe(true);
    for (const address of otherAddresses()) {
      expect(await accepts(address, endpoint.port), address).toBe(false);
    }
  });

  it("refuses a request whose Host is not a loopback name with 403, whatever it carries", async () => {
    for (const host of [
      "attacker.example",
      `attacker.example:${endpoint.port}`,
      `127.0.0.1.nip.io:${endpoint.port}`,
      `localhost.attacker.example:${endpoint.port}`,
      "192.0.2.1",
    ]) {
      const refused = await postWithHost(endpoint, host, served);
      expect(refused, host).toMatchObject({ status: 403, body: { message: expect.any(String) } });
      expect(refused.body.message).toMatch(/Host/);
    }
    for (const host of [
      `127.0.0.1:${endpoint.port}`,
      "localhost",
      "LOCALHOST:1234",
      "[::1]:8788",
    ]) {
      expect((await postWithHost(endpoint, host, served)).status, host).toBe(200);
    }
  });

  it("answers 401 JSON to a connection string without this run's password or with another", async () => {
    const without = `postgresql://app@db.localtest/${served}`;
    const others = [
      without,
      connectionString("wrong", served),
      connectionString(endpoint.secret.slice(0, -1), served),
      connectionString(`${endpoint.secret}x`, served),
      connectionString(endpoint.secret.toUpperCase(), served),
    ];
    for (const value of others) {
      const refused = await post(endpoint, selectOne, served, { "Neon-Connection-String": value });
      expect(refused.status, value).toBe(401);
      expect(refused.contentType).toContain("application/json");
      expect(refused.body.message).toMatch(/secret/);
    }
    // Before the database's name is even looked at.
    const unknown = await post(endpoint, selectOne, unlisted, {
      "Neon-Connection-String": connectionString("wrong", unlisted),
    });
    expect(unknown.status).toBe(401);
    expect((await post(endpoint, selectOne, served)).body.rows).toEqual([["1"]]);
  });

  it("refuses with 403 a database it was not told to serve, and creates nothing", async () => {
    const single = await post(endpoint, selectOne, unlisted);
    expect(single.status).toBe(403);
    expect(single.contentType).toContain("application/json");
    expect(single.body.message).toMatch(/not one this SQL endpoint serves/);
    const batch = await post(endpoint, { queries: [selectOne] }, unlisted);
    expect(batch.status).toBe(403);

    if (dataDir) {
      expect(existsSync(join(dataDir, unlisted))).toBe(false);
      expect(existsSync(join(dataDir, served))).toBe(true);
    } else if (backend.kind === "pg") {
      const client = await connect(backend.url);
      try {
        const { rows } = await client.query(
          "select datname from pg_database where datname = any($1::text[]) order by datname",
          [[served, unlisted]],
        );
        expect(rows).toEqual([{ datname: served }]);
      } finally {
        await client.end();
      }
    }
  });
});
