// `npm run import:flask` end to end: a source database in the original Flask API's shape (on a
// PostgreSQL server: TEST_DATABASE_URL's, else the machine's at 127.0.0.1:5432; skipped when none
// answers), the command run as users run it, against the built Worker served by workerd over the
// local SQL endpoint (PGlite, or PostgreSQL with TEST_DATABASE_URL), and then logins with the
// original passwords.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import bcrypt from "bcryptjs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopAll } from "../bench/processes.ts";
import { startWorkerd } from "../bench/workerd.ts";
import { type SqlEndpoint, startSqlEndpoint } from "../sql-endpoint/index.ts";
import { dropDatabases } from "../sql-endpoint/test-support.ts";
import { insertOriginalUsers, ORIGINAL_SCHEMA, type OriginalRow } from "./original.ts";

const root = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const apiDatabaseUrl = process.env.TEST_DATABASE_URL;
const sourceServerUrl = apiDatabaseUrl ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const haveSource = await answers(sourceServerUrl);
const suffix = randomBytes(6).toString("hex");
const sourceName = `flask_${suffix}`;
const apiName = `import_${suffix}`;
const sourceUrl = sourceServerUrl.replace(/\/[^/]*$/, `/${sourceName}`);

// bcryptjs at cost 12 writes $2b$, as Flask-Bcrypt does.
const PASSWORDS = { admin: "Flask-Admin-Secret-1", alice: "Alice-Flask-Secret-2" };
const hash = (password: string) => bcrypt.hashSync(password, 12);

const row = (fields: Partial<OriginalRow> & { username: string }): OriginalRow => ({
  first_name: "First",
  last_name: "Last",
  email: `${fields.username}@example.com`,
  password: "",
  role: "USER",
  active: true,
  created_at: "2021-06-01 12:34:56.789",
  ...fields,
});

let source: pg.Client;
let endpoint: SqlEndpoint;
let dir: string;
let base: string;
let token: string;

async function api(path: string, body?: unknown, bearer?: string) {
  const response = await fetch(`${base}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      "Content-Type": "application/json",
      ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Runs the command as a user would, with API_TOKEN; resolves with its exit code and output. */
async function importFlaskAs(apiToken: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/import-flask/index.ts",
        "--from",
        sourceUrl,
        "--to",
        base,
        ...args,
      ],
      { cwd: root, env: { ...process.env, API_TOKEN: apiToken } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const importFlask = (...args: string[]) => importFlaskAs(token, ...args);

async function readMap(path: string) {
  const [header, ...lines] = (await readFile(path, "utf8")).trimEnd().split("\n");
  expect(header).toBe("old_id,new_id,email,status");
  return lines.map((line) => {
    const [oldId, newId, email, status] = line.split(",");
    return { oldId, newId, email, status };
  });
}

describe.skipIf(!haveSource)("npm run import:flask", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "import-flask-"));
    const admin = new pg.Client({ connectionString: sourceServerUrl });
    await admin.connect();
    await admin.query(`create database "${sourceName}"`);
    await admin.end();
    source = new pg.Client({ connectionString: sourceUrl });
    await source.connect();
    await source.query(ORIGINAL_SCHEMA);
    await insertOriginalUsers(source, [
      row({ username: "boss", role: "ADMIN", password: hash(PASSWORDS.admin) }),
      row({ username: "alice", password: hash(PASSWORDS.alice), first_name: "Alice" }),
      row({ username: "sleeper", active: false, password: hash(PASSWORDS.alice) }),
      // What the original allowed and our rules refuse:
      row({ username: "john smith", password: hash(PASSWORDS.alice) }),
      row({ username: "carol", email: "carol@localhost", password: hash(PASSWORDS.alice) }),
      row({ username: "nameless", first_name: null, password: hash(PASSWORDS.alice) }),
      row({ username: "plain", password: "not-a-bcrypt-hash" }),
    ]);

    endpoint = await startSqlEndpoint({
      backend: apiDatabaseUrl ? { kind: "pg", url: apiDatabaseUrl } : { kind: "pglite" },
      migrationsFolder: join(root, "drizzle"),
      databases: [apiName],
    });
    const bundle = join(dir, "bundle.js");
    await run(
      process.execPath,
      ["--import", "tsx", "scripts/build-worker.ts", `--outfile=${bundle}`],
      {
        cwd: root,
      },
    );
    const adminKey = randomBytes(24).toString("base64url");
    const workerd = await startWorkerd(
      dir,
      {
        DATABASE_URL: `postgres://test:${endpoint.secret}@sql-endpoint/${apiName}`,
        NEON_FETCH_ENDPOINT: endpoint.url,
        JWT_SECRET: randomBytes(48).toString("base64url"),
        BCRYPT_COST: "4",
        SECRET_ADMIN_KEY: adminKey,
        MAIL_PROVIDER: "log",
        DATABASE_TIMEOUT: "120",
      },
      { bundle },
    );
    base = workerd.base;
    const credentials = { email: "importer@example.net", password: "Violet-Lantern-Orbit-42" };
    const registered = await api("/auth/register", {
      ...credentials,
      username: "importer",
      first_name: "Import",
      last_name: "Admin",
      secret_admin_key: adminKey,
    });
    expect(registered.status, JSON.stringify(registered.json)).toBe(201);
    token = (await api("/auth/login", credentials)).json.access_token as string;
  }, 240_000);

  afterAll(async () => {
    await stopAll();
    await endpoint?.close();
    await source?.end();
    await dropDatabases(sourceServerUrl, [sourceName]);
    if (apiDatabaseUrl) await dropDatabases(apiDatabaseUrl, [apiName]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("imports the original's users, who log in with their old passwords", async () => {
    const map = join(dir, "ids.csv");
    const first = await importFlask("--map", map);
    // Rows our rules refuse: printed with their reasons, and the exit code says so.
    expect(first.code, first.stderr).toBe(1);
    expect(first.stdout).toMatch(/id 4 \(john smith@example\.com\): invalid: .*username/);
    expect(first.stdout).toMatch(/id 5 \(carol@localhost\): invalid: email/);
    expect(first.stdout).toMatch(/id 6 \(nameless@example\.com\): invalid: first_name/);
    expect(first.stdout).toMatch(/id 7 \(plain@example\.com\): invalid: password_hash/);
    expect(first.stdout).toContain("created 3, updated 0, unchanged 0, invalid 4, conflicts 0");

    const lines = await readMap(map);
    expect(lines.map((line) => [line.oldId, line.status])).toEqual([
      ["1", "created"],
      ["2", "created"],
      ["3", "created"],
      ["4", "invalid"],
      ["5", "invalid"],
      ["6", "invalid"],
      ["7", "invalid"],
    ]);

    const boss = await api("/auth/login", { email: "boss@example.com", password: PASSWORDS.admin });
    expect(boss.status).toBe(200);
    expect(boss.json.user).toMatchObject({
      id: lines[0]?.newId,
      role: "ADMIN",
      username: "boss",
      created_at: "2021-06-01T12:34:56.789Z",
    });
    const alice = await api("/auth/login", {
      email: "alice@example.com",
      password: PASSWORDS.alice,
    });
    expect(alice.status).toBe(200);
    expect(alice.json.user).toMatchObject({
      id: lines[1]?.newId,
      first_name: "Alice",
      role: "USER",
    });
    // Inactive in the original, inactive here.
    const sleeper = await api("/auth/login", {
      email: "sleeper@example.com",
      password: PASSWORDS.alice,
    });
    expect(sleeper.status).toBe(401);
    const byOldId = await fetch(`${base}/users?external_id=2`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(((await byOldId.json()) as { id: string }[]).map((user) => user.id)).toEqual([
      lines[1]?.newId,
    ]);
  });

  it("resumes safely: a re-run changes nothing, a fixed source imports the rest and exits 0", async () => {
    const again = await importFlask();
    expect(again.code).toBe(1);
    expect(again.stdout).toContain("created 0, updated 0, unchanged 3, invalid 4, conflicts 0");

    // The owner fixes the rows in the original; --dry-run shows what would happen, writes nothing.
    await source.query(
      `update "user" set username = 'john.smith', email = 'john@example.com' where id = 4`,
    );
    await source.query(`update "user" set email = 'carol@example.org' where id = 5`);
    await source.query(`update "user" set first_name = 'Nora' where id = 6`);
    await source.query(`delete from "user" where id = 7`);
    const dry = await importFlask("--dry-run");
    expect(dry.code, dry.stdout).toBe(0);
    expect(dry.stdout).toContain("would have created 3, updated 0, unchanged 3");
    const notYet = await api("/auth/login", {
      email: "carol@example.org",
      password: PASSWORDS.alice,
    });
    expect(notYet.status).toBe(401);

    const map = join(dir, "fixed.csv");
    const fixed = await importFlask("--map", map);
    expect(fixed.code, fixed.stdout).toBe(0);
    expect(fixed.stdout).toContain("created 3, updated 0, unchanged 3, invalid 0, conflicts 0");
    expect((await readMap(map)).map((line) => line.status)).toEqual([
      "unchanged",
      "unchanged",
      "unchanged",
      "created",
      "created",
      "created",
    ]);
    const carol = await api("/auth/login", {
      email: "carol@example.org",
      password: PASSWORDS.alice,
    });
    expect(carol.status).toBe(200);
  });

  it("refuses to start without an admin token, and fails on a token that is not one", async () => {
    const missing = await importFlaskAs("");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("API_TOKEN is not set");
    const refused = await importFlaskAs("not-a-token");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("answered 401");
  });
});
