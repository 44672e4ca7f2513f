// `npm run import:flask -- --from <postgres URL> --to <API base URL>`: moves the users of the
// original Flask API (its table "user") into this API through POST /users/import, with their
// bcrypt hashes, so nobody needs a password reset. See README, "Moving from the Flask API".
//
//   API_TOKEN=<an admin's access token> npm run import:flask -- \
//     --from postgres://user:pass@host/flaskdb --to https://api.example.com \
//     [--map ids.csv] [--dry-run] [--mode upsert|create] [--verified] [--batch 1000]
//
// It reads the table in pages in id order (keyset, so a page costs the same at any depth), posts
// each page as one batch, and with the default mode (upsert) can be re-run at any time: users
// already imported come back "unchanged". Exit code 0 only when every row was imported.
import { createWriteStream, type WriteStream } from "node:fs";
import { parseArgs } from "node:util";
import { SingleBar } from "cli-progress";
import pg from "pg";
import { csvLine, type ImportResult, type OriginalUser, toImportItem } from "./mapping.ts";

const USAGE = `Usage: API_TOKEN=<admin access token> npm run import:flask -- --from <postgres URL> --to <API base URL>
  [--map FILE]          write old_id,new_id,email,status for every row (CSV)
  [--dry-run]           check everything, write nothing
  [--mode upsert|create] upsert (default) matches by email and makes re-runs safe
  [--verified]          mark every imported email address as verified
  [--batch N]           users per request, 1-1000 (default 1000)`;

type Options = {
  from: string;
  to: string;
  token: string;
  map?: string;
  dryRun: boolean;
  mode: "upsert" | "create";
  verified: boolean;
  batch: number;
};

function options(): Options {
  const { values } = parseArgs({
    options: {
      from: { type: "string" },
      to: { type: "string" },
      map: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      mode: { type: "string", default: "upsert" },
      verified: { type: "boolean", default: false },
      batch: { type: "string", default: "1000" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const token = process.env.API_TOKEN;
  const batch = Number(values.batch);
  const problems = [
    !values.from && "--from is required",
    !values.to && "--to is required",
    !token && "API_TOKEN is not set (an admin's access token)",
    values.mode !== "upsert" && values.mode !== "create" && "--mode is upsert or create",
    !(Number.isInteger(batch) && batch >= 1 && batch <= 1000) && "--batch is 1-1000",
  ].filter(Boolean);
  if (problems.length > 0) {
    console.error(`${problems.join("\n")}\n\n${USAGE}`);
    process.exit(2);
  }
  return {
    from: values.from as string,
    to: (values.to as string).replace(/\/+$/, ""),
    token: token as string,
    map: values.map,
    dryRun: values["dry-run"],
    mode: values.mode as Options["mode"],
    verified: values.verified,
    batch,
  };
}

/** One page of the original's users after `afterId`, in id order; timestamps read as UTC. */
async function readPage(client: pg.Client, afterId: number, limit: number) {
  const result = await client.query<OriginalUser>(
    `select id, username, first_name, last_name, email, password, role::text as role, active,
       created_at at time zone 'UTC' as created_at
     from "user" where id > $1 order by id limit $2`,
    [afterId, limit],
  );
  return result.rows;
}

/** How many rows the original has, for the progress bar. */
async function countRows(client: pg.Client): Promise<number> {
  const result = await client.query<{ n: string }>(`select count(*) as n from "user"`);
  return Number(result.rows[0]?.n ?? 0);
}

/** Posts one batch, retrying what may pass later (429, 503, a dropped connection) a few times. */
async function postBatch(opts: Options, users: unknown[]): Promise<{ results: ImportResult[] }> {
  for (let attempt = 1; ; attempt++) {
    let response: Response | undefined;
    try {
      response = await fetch(`${opts.to}/users/import`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${opts.token}` },
        body: JSON.stringify({ users, mode: opts.mode, dry_run: opts.dryRun }),
      });
    } catch (error) {
      if (attempt >= 5) throw error;
    }
    if (response?.ok) return (await response.json()) as { results: ImportResult[] };
    const retryable = response === undefined || response.status === 429 || response.status >= 503;
    if (!retryable || attempt >= 5) {
      const text = response ? await response.text() : "";
      throw new Error(`POST /users/import answered ${response?.status}: ${text.slice(0, 500)}`);
    }
    await response?.body?.cancel();
    const retryAfter = Number(response?.headers.get("Retry-After"));
    await new Promise((wait) => setTimeout(wait, (retryAfter || attempt) * 1000));
  }
}

async function main(): Promise<number> {
  const opts = options();
  const source = new pg.Client({ connectionString: opts.from });
  await source.connect();
  let map: WriteStream | undefined;
  const bar = new SingleBar({
    format: "Importing |{bar}| {value}/{total} users, {failed} failed, ETA {eta_formatted}",
    // Progress goes to stderr, and only to a terminal: stdout keeps the report alone.
    stream: process.stderr,
  });
  const counts = { created: 0, updated: 0, unchanged: 0, invalid: 0, conflict: 0 };
  const failures: string[] = [];
  try {
    const total = await countRows(source);
    if (opts.map) {
      map = createWriteStream(opts.map);
      map.write(csvLine(["old_id", "new_id", "email", "status"]));
    }
    bar.start(total, 0, { failed: 0 });
    let afterId = 0;
    for (;;) {
      const rows = await readPage(source, afterId, opts.batch);
      if (rows.length === 0) break;
      afterId = rows.at(-1)?.id ?? afterId;
      const body = await postBatch(
        opts,
        rows.map((row) => toImportItem(row, { verified: opts.verified })),
      );
      for (const result of body.results) {
        const row = rows[result.index] as OriginalUser;
        counts[result.status] += 1;
        if (result.status === "invalid" || result.status === "conflict") {
          const reasons = (result.errors ?? []).map((e) => `${e.path} ${e.message}`).join("; ");
          failures.push(`id ${row.id} (${row.email}): ${result.status}: ${reasons}`);
        }
        map?.write(csvLine([String(row.id), result.id ?? "", row.email ?? "", result.status]));
      }
      bar.increment(rows.length, { failed: failures.length });
    }
  } finally {
    bar.stop();
    await source.end();
    if (map) await new Promise((done) => map?.end(done));
  }
  for (const failure of failures) console.log(failure);
  const verb = opts.dryRun ? "Dry run, nothing written: would have" : "Done:";
  console.log(
    `${verb} created ${counts.created}, updated ${counts.updated}, unchanged ${counts.unchanged}, invalid ${counts.invalid}, conflicts ${counts.conflict}.`,
  );
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`import:flask failed: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  },
);
