// POST /users/import: users of another system with the bcrypt hashes they already have.
import bcrypt from "bcryptjs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  db,
  expectLoginRefused,
  login,
  NEW_PASSWORD,
  type Session,
  signUp,
  uniqueName,
} from "./helpers/factories";
import { mailedToken, reset } from "./helpers/password-reset";
import { deleteUser, ids, listUsers } from "./helpers/users";
import { call, expectProblem } from "./helpers/worker";

type Item = Record<string, unknown>;
type Result = { index: number; status: string; id?: string; errors?: { path: string }[] };

/** A valid import item for a new user with a random name; `overrides` replace or add fields. */
function item(overrides: Item = {}): Item {
  const username = uniqueName("imp");
  return {
    email: `${username}@example.test`,
    username,
    first_name: "Imported",
    last_name: "User",
    ...overrides,
  };
}

function importUsers(token: string, users: unknown[], options: Item = {}) {
  return call("/users/import", { body: { users, ...options }, token });
}

/** Imports and expects a 200, returning its body. */
async function imported(token: string, users: unknown[], options: Item = {}) {
  const res = await importUsers(token, users, options);
  expect(res.status, res.text).toBe(200);
  return res.json as {
    created: number;
    updated: number;
    skipped: number;
    failed: number;
    results: Result[];
  };
}

const statuses = (body: { results: Result[] }) => body.results.map((result) => result.status);

/** A hash of the password in another system's variant of bcrypt ($2a$, $2b$ or $2y$). */
const hashAs = (variant: "2a" | "2b" | "2y", password: string, cost: number) =>
  bcrypt.hashSync(password, cost).replace(/^\$2b\$/, `$${variant}$`);

async function storedHash(id: string) {
  const [row] = await db<{ password_hash: string }>(
    "select password_hash from users where id = $1",
    [id],
  );
  return row?.password_hash;
}

async function eventCount(id: string, type = "user.imported") {
  const [row] = await db<{ n: number }>(
    "select count(*)::int as n from security_events where user_id = $1 and type = $2",
    [id, type],
  );
  return Number(row?.n);
}

let admin: Session;

beforeAll(async () => {
  admin = await signUp({ admin: true });
});

describe("POST /users/import", () => {
  it("creates users whose old passwords log in at once, in every bcrypt variant and cost", async () => {
    const users = [
      item({ password_hash: hashAs("2b", "Flask-Password-One", 12) }),
      item({ password_hash: hashAs("2a", "Flask-Password-Two", 5) }),
      item({ password_hash: hashAs("2y", "Flask-Password-Three", 4) }),
    ];
    const body = await imported(admin.token, users);
    expect(body).toMatchObject({ created: 3, updated: 0, skipped: 0, failed: 0 });
    expect(statuses(body)).toEqual(["created", "created", "created"]);
    const passwords = ["Flask-Password-One", "Flask-Password-Two", "Flask-Password-Three"];
    for (const [index, password] of passwords.entries()) {
      const result = body.results[index] as Result;
      expect(result.index).toBe(index);
      await expectLoginRefused(users[index]?.email as string, "Not-The-Password-1");
      await login(users[index]?.email as string, password);
      // Upgraded at that login to this server's cost (4 in tests) and bcryptjs's variant.
      const hash = (await storedHash(result.id as string)) as string;
      expect(hash.startsWith("$2b$04$")).toBe(true);
      expect(await bcrypt.compare(password, hash)).toBe(true);
      await login(users[index]?.email as string, password);
      expect(await eventCount(result.id as string)).toBe(1);
    }
  });

  it("keeps the given fields, external_id findable by admins, and the source's creation time", async () => {
    const externalId = `ext-${uniqueName()}`;
    const user = item({
      role: "ADMIN",
      active: false,
      email_verified: true,
      created_at: "2019-05-04T03:02:01.123Z",
      external_id: externalId,
    });
    const body = await imported(admin.token, [user]);
    const id = body.results[0]?.id as string;
    const found = await listUsers(admin.token, `external_id=${externalId}`);
    expect(found.status, found.text).toBe(200);
    expect(ids(found)).toEqual([id]);
    expect(found.json[0]).toMatchObject({
      email: user.email,
      username: user.username,
      role: "ADMIN",
      active: false,
      email_verified: true,
      created_at: "2019-05-04T03:02:01.123Z",
    });
    expect(ids(await listUsers(admin.token, "external_id=nobody-has-this"))).toEqual([]);
  });

  it("lets a user imported without a hash set a password through forgot-password, and nothing before", async () => {
    const user = item();
    const body = await imported(admin.token, [user]);
    const id = body.results[0]?.id as string;
    await expectLoginRefused(user.email as string, "Any-Password-At-All-9");
    const { token } = await mailedToken(user.email as string);
    const res = await reset(token);
    expect(res.status, res.text).toBe(200);
    await login(user.email as string, NEW_PASSWORD);
    expect(await eventCount(id, "password.reset")).toBe(1);
  });

  it("reports each invalid item with its field errors and writes none of them", async () => {
    const good = item();
    const twin = item({ email: String(good.email).toUpperCase() });
    const body = await imported(admin.token, [
      item({ username: "u".repeat(90) }),
      item({ email: "not-an-email" }),
      item({ password_hash: hashAs("2b", "whatever", 4).replace("$04$", "$16$") }),
      item({ password_hash: "$2x$10$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012" }),
      item({ password: "plain-text-password" }),
      item({ first_name: "   " }),
      item({ role: "ROOT", created_at: "yesterday" }),
      "not an object",
      good,
      twin,
    ]);
    expect(statuses(body)).toEqual([...Array(8).fill("invalid"), "created", "invalid"]);
    expect(body).toMatchObject({ created: 1, failed: 9 });
    const paths = body.results.map((result) => result.errors?.map((error) => error.path));
    expect(paths.slice(0, 7)).toEqual([
      ["username"],
      ["email"],
      ["password_hash"],
      ["password_hash"],
      ["password"],
      ["first_name"],
      ["role", "created_at"],
    ]);
    expect(paths[9]).toEqual(["email"]);
    const [row] = await db<{ n: number }>(
      "select count(*)::int as n from users where username like 'imp\\_%' and (first_name = '   ' or username ~ '^u+$' or email = 'not-an-email')",
    );
    expect(Number(row?.n)).toBe(0);
  });

  it("create mode reports a taken email or username as a conflict and changes nothing", async () => {
    const existing = await signUp();
    const before = await storedHash(existing.id);
    const body = await imported(admin.token, [
      item({ email: existing.email, first_name: "Changed" }),
      item({ username: existing.username.toUpperCase() }),
      item(),
    ]);
    expect(statuses(body)).toEqual(["conflict", "conflict", "created"]);
    expect(body.results[0]?.errors?.[0]?.path).toBe("email");
    expect(body.results[1]?.errors?.[0]?.path).toBe("username");
    const mine = await call("/users/me", { token: existing.token });
    expect(mine.json).toMatchObject({ first_name: "Test", username: existing.username });
    expect(await storedHash(existing.id)).toBe(before);
  });

  it("upsert matches by email, is idempotent, and never replaces a password an account has", async () => {
    const hash = hashAs("2b", "Original-Secret-55", 4);
    const users = [item({ password_hash: hash }), item()];
    const first = await imported(admin.token, users, { mode: "upsert" });
    expect(statuses(first)).toEqual(["created", "created"]);
    const [a, b] = first.results.map((result) => result.id as string);

    const again = await imported(admin.token, users, { mode: "upsert" });
    expect(statuses(again)).toEqual(["unchanged", "unchanged"]);
    expect(again).toMatchObject({ created: 0, updated: 0, skipped: 2 });
    expect(again.results.map((result) => result.id)).toEqual([a, b]);
    expect(await eventCount(a as string)).toBe(1);

    const otherHash = hashAs("2b", "Another-Secret-66", 4);
    const changed = await imported(
      admin.token,
      [
        { ...users[0], email: String(users[0]?.email).toUpperCase(), password_hash: otherHash },
        { ...users[1], last_name: "Renamed", password_hash: otherHash },
      ],
      { mode: "upsert" },
    );
    expect(statuses(changed)).toEqual(["updated", "updated"]);
    // a had a password: kept. b had none: it gets the hash.
    expect(await storedHash(a as string)).toBe(hash);
    expect(await storedHash(b as string)).toBe(otherHash);
    await login(String(users[1]?.email), "Another-Secret-66");
    expect(await eventCount(b as string)).toBe(2);
    const row = await call(`/users/${b}`, { token: admin.token });
    expect(row.json.last_name).toBe("Renamed");
  });

  it("upsert ends the sessions of a user whose role or activity it changes", async () => {
    const user = await signUp();
    const body = await imported(
      admin.token,
      [
        {
          email: user.email,
          username: user.username,
          first_name: "Test",
          last_name: "User",
          active: false,
        },
      ],
      { mode: "upsert" },
    );
    expect(statuses(body)).toEqual(["updated"]);
    expectProblem(await call("/users/me", { token: user.token }), 401, "invalid_token");
    expect(await eventCount(user.id)).toBe(1);
  });

  it("a dry run reports what would happen and writes nothing", async () => {
    const existing = await signUp();
    const fresh = item();
    const body = await imported(
      admin.token,
      [
        fresh,
        {
          email: existing.email,
          username: existing.username,
          first_name: "Dry",
          last_name: "Run",
        },
        item({ email: "bad" }),
      ],
      { mode: "upsert", dry_run: true },
    );
    expect(body).toMatchObject({ dry_run: true, created: 1, updated: 1, failed: 1 });
    expect(body.results[0]?.id).toBeUndefined();
    expect(body.results[1]?.id).toBe(existing.id);
    const [row] = await db<{ n: number }>("select count(*)::int as n from users where email = $1", [
      fresh.email,
    ]);
    expect(Number(row?.n)).toBe(0);
    const mine = await call("/users/me", { token: existing.token });
    expect(mine.json.first_name).toBe("Test");
    expect(await eventCount(existing.id)).toBe(0);
  });

  it("refuses non-admins, a revoked admin token, an empty or oversized batch and unknown fields", async () => {
    const user = await signUp();
    expectProblem(await importUsers(user.token, [item()]), 403, "forbidden");
    expectProblem(await call("/users/import", { body: { users: [item()] } }), 401, "unauthorized");
    expectProblem(await importUsers(admin.token, []), 422, "validation_failed");
    const tooMany = Array.from({ length: 1001 }, () => item());
    expectProblem(await importUsers(admin.token, tooMany), 422, "validation_failed");
    const extra = await importUsers(admin.token, [item()], { mode: "merge", role: "ADMIN" });
    const problem = expectProblem(extra, 422, "validation_failed");
    expect(problem.errors?.map((error) => error.path).sort()).toEqual(["mode", "role"]);

    const revoked = await signUp({ admin: true });
    const logout = await call("/auth/logout?scope=global", {
      method: "POST",
      token: revoked.token,
    });
    expect(logout.status).toBe(204);
    const fresh = item();
    expectProblem(await importUsers(revoked.token, [fresh]), 401, "invalid_token");
    const [row] = await db<{ n: number }>("select count(*)::int as n from users where email = $1", [
      fresh.email,
    ]);
    expect(Number(row?.n)).toBe(0);
  });

  it("takes a full batch of 1,000 users (a body well over 64 KiB) in one request", async () => {
    const hash = hashAs("2b", "Batch-Password-77", 4);
    const users = Array.from({ length: 1000 }, (_, i) =>
      item({ external_id: String(i), password_hash: hash, created_at: "2020-01-01T00:00:00Z" }),
    );
    const res = await importUsers(admin.token, users);
    expect(res.status, res.text).toBe(200);
    expect(res.text.length).toBeGreaterThan(0);
    expect(res.json.created).toBe(1000);
    await login(String(users[999]?.email), "Batch-Password-77");
    const larger = Array.from({ length: 1000 }, () => item({ first_name: "x".repeat(2000) }));
    expectProblem(await importUsers(admin.token, larger), 413, "payload_too_large");
  });

  it("concurrent imports of one batch create each user once", async () => {
    const users = Array.from({ length: 20 }, () => item());
    const answers = await Promise.all(
      [0, 1, 2].map(() => importUsers(admin.token, users, { mode: "upsert" })),
    );
    for (const answer of answers) expect(answer.status, answer.text).toBe(200);
    const created = answers.map((answer) => answer.json.created as number);
    expect(created.reduce((sum, n) => sum + n, 0)).toBe(20);
    const [row] = await db<{ n: number }>(
      "select count(*)::int as n from users where email = any($1)",
      [users.map((user) => user.email)],
    );
    expect(Number(row?.n)).toBe(20);
    const again = await imported(admin.token, users, { mode: "upsert" });
    expect(again.skipped).toBe(20);
  });
});

describe("the last active admin", () => {
  /** Makes `keepers` the only active admins of this file's database. */
  async function onlyAdmins(...keepers: Session[]) {
    const [first] = keepers as [Session];
    const res = await listUsers(first.token, "role=ADMIN&active=true&per_page=100");
    const keep = keepers.map((keeper) => keeper.id);
    for (const id of ids(res)) {
      if (!keep.includes(id)) expect((await deleteUser(first.token, id)).status).toBe(200);
    }
  }

  it("cannot be demoted or deactivated by an upsert; another admin in the batch can", async () => {
    const keeper = await signUp({ admin: true });
    await onlyAdmins(keeper);
    const self = {
      email: keeper.email,
      username: keeper.username,
      first_name: "Test",
      last_name: "User",
    };
    for (const change of [{ role: "USER" }, { active: false }]) {
      const body = await imported(keeper.token, [{ ...self, ...change }], { mode: "upsert" });
      expect(statuses(body)).toEqual(["conflict"]);
      expect(body.results[0]?.errors?.[0]?.path).toBe("role");
    }
    const mine = await call("/users/me", { token: keeper.token });
    expect(mine.json).toMatchObject({ role: "ADMIN", active: true });

    const second = await signUp({ admin: true });
    const body = await imported(keeper.token, [{ ...self, role: "USER" }], { mode: "upsert" });
    expect(statuses(body)).toEqual(["updated"]);
    const left = await listUsers(second.token, "role=ADMIN&active=true");
    expect(ids(left)).toEqual([second.id]);
  });

  it("two concurrent upserts demoting the only two admins leave one", async () => {
    const [one, two] = [await signUp({ admin: true }), await signUp({ admin: true })];
    await onlyAdmins(one, two);
    const demote = (session: Session, target: Session) =>
      importUsers(
        session.token,
        [
          {
            email: target.email,
            username: target.username,
            first_name: "Test",
            last_name: "User",
            role: "USER",
          },
        ],
        { mode: "upsert" },
      );
    const answers = await Promise.all([demote(one, two), demote(two, one)]);
    const outcomes = answers.map((answer) =>
      answer.status === 200 ? answer.json.results[0].status : answer.status,
    );
    expect(outcomes.filter((outcome) => outcome === "updated")).toHaveLength(1);
    const [row] = await db<{ n: number }>(
      "select count(*)::int as n from users where role = 'ADMIN' and active",
    );
    expect(Number(row?.n)).toBe(1);
  });
});
