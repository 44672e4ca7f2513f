// The query plans at scale, in the largest size's database: every distinct statement the Worker
// sent during each scenario's measured runs (recorded by database-server.ts, with one sample of
// its parameters), and the cron's statements of one run of it (one batch of each kind), are
// EXPLAINed. On PostgreSQL with ANALYZE and BUFFERS, each inside a transaction that is rolled
// back, so that a data-modifying statement runs for real (its time and pages are real) and
// changes nothing; on PGlite with plain EXPLAIN, which runs nothing. A sequential scan of a table
// in any of them is a miss; bitmap scans are index scans.
import pg from "pg";
import { createDb } from "../../src/db/client.ts";
import { CLEANUP_BATCH, cleanUp } from "../../src/services/housekeeping.ts";
import { type DatabaseSide, recordAs, recordedStatements, runSql } from "./database.ts";
import type { RecordedStatement } from "./database-server.ts";

export type PlannedStatement = {
  query: string;
  params: (string | null)[];
  calls: number;
  inTransaction: boolean;
  /** each scan (or write) node: "Index Scan using users_pkey on users" */
  nodes: string[];
  /** relations read by a Seq Scan */
  seqScans: string[];
  /** with ANALYZE: the statement's execution and planning time, and the pages it touched */
  executionMs?: number;
  planningMs?: number;
  buffers?: number;
  /** the plan as EXPLAIN prints it (text), with ANALYZE where it ran */
  text?: string;
  /** EXPLAIN refused it (a statement that is no query, say) */
  error?: string;
};

export type ScenarioPlans = { scenario: string; statements: PlannedStatement[] };

type PlanNode = {
  "Node Type"?: string;
  Operation?: string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
};

type Explained = { Plan: PlanNode; "Execution Time"?: number; "Planning Time"?: number };

function walk(node: PlanNode, found: PlanNode[]): PlanNode[] {
  if (node["Relation Name"] || node["Index Name"]) found.push(node);
  for (const child of node.Plans ?? []) walk(child, found);
  return found;
}

function describe(node: PlanNode): string {
  const type = node["Node Type"] === "ModifyTable" ? node.Operation : node["Node Type"];
  const index = node["Index Name"] ? ` using ${node["Index Name"]}` : "";
  const relation = node["Relation Name"] ? ` on ${node["Relation Name"]}` : "";
  return `${type}${index}${relation}`;
}

/** How a database answers EXPLAIN: the JSON plan, and the text one where it can also run it. */
type Explainer = {
  json(statement: RecordedStatement): Promise<Explained>;
  text?(statement: RecordedStatement): Promise<string>;
  /** EXPLAIN without running the statement */
  plain?(statement: RecordedStatement): Promise<Explained>;
};

/** EXPLAIN (ANALYZE, BUFFERS) on a connection of its own, each statement rolled back. */
function analyzingExplainer(client: pg.Client): Explainer {
  const rolledBack = async (prefix: string, statement: RecordedStatement) => {
    await client.query("begin");
    try {
      return (await client.query(`${prefix} ${statement.query}`, statement.params)).rows;
    } finally {
      await client.query("rollback");
    }
  };
  const planOf = async (prefix: string, statement: RecordedStatement) => {
    const [row] = await rolledBack(prefix, statement);
    const [plan] = (row?.["QUERY PLAN"] ?? []) as Explained[];
    if (!plan) throw new Error("EXPLAIN answered no plan");
    return plan;
  };
  return {
    json: (statement) => planOf("explain (analyze, buffers, format json)", statement),
    plain: (statement) => planOf("explain (format json)", statement),
    text: async (statement) =>
      (await rolledBack("explain (analyze, buffers)", statement))
        .map((row) => row["QUERY PLAN"])
        .join("\n"),
  };
}

function plainExplainer(side: DatabaseSide): Explainer {
  return {
    json: async (statement) => {
      const [row] = await runSql(
        side,
        `explain (format json) ${statement.query}`,
        statement.params,
      );
      const [plan] = JSON.parse(row?.["QUERY PLAN"] ?? "[]") as Explained[];
      if (!plan) throw new Error("EXPLAIN answered no plan");
      return plan;
    },
  };
}

/**
 * The plan of one statement. Analyzed, it runs twice and the second run counts: the first
 * compiles the PL/pgSQL functions it calls, which a pooled connection of the Worker's did long
 * ago. A statement whose recorded values cannot run again (an insert of an id that exists now)
 * is explained without running it.
 */
async function explain(explainer: Explainer, statement: RecordedStatement) {
  const planned: PlannedStatement = { ...statement, nodes: [], seqScans: [] };
  try {
    let plan: Explained;
    try {
      await explainer.json(statement);
      plan = await explainer.json(statement);
    } catch (error) {
      if (!explainer.plain) throw error;
      plan = await explainer.plain(statement);
    }
    const nodes = walk(plan.Plan, []);
    planned.nodes = nodes.map(describe);
    planned.seqScans = nodes
      .filter((node) => node["Node Type"] === "Seq Scan")
      .map((node) => node["Relation Name"] ?? "?");
    if (plan["Execution Time"] !== undefined) {
      planned.executionMs = plan["Execution Time"];
      planned.planningMs = plan["Planning Time"];
      planned.buffers =
        (plan.Plan["Shared Hit Blocks"] ?? 0) + (plan.Plan["Shared Read Blocks"] ?? 0);
    }
    if (plan["Execution Time"] !== undefined) planned.text = await explainer.text?.(statement);
  } catch (error) {
    planned.error = error instanceof Error ? error.message : String(error);
  }
  return planned;
}

export const CRON = "cron (one batch of each kind)";

/**
 * One run of the Worker's own cleanUp against the database, one batch of each kind, recorded as
 * the CRON scenario: its statements are then explained with the others. Answers what it removed
 * and how long it took.
 */
export async function runCronOnce(side: DatabaseSide) {
  const db = createDb({
    DATABASE_URL: `postgres://bench:${side.secret}@sql-endpoint/${side.database}`,
    NEON_FETCH_ENDPOINT: side.sqlUrl,
    DATABASE_TIMEOUT: 600,
  });
  await recordAs(side, CRON);
  const startedAt = performance.now();
  const removed = await cleanUp(
    db,
    { EVENTS_RETENTION_DAYS: 90 },
    { batch: CLEANUP_BATCH, maxBatches: 1 },
  );
  const ms = performance.now() - startedAt;
  await recordAs(side, null);
  return { removed, ms };
}

/**
 * The plans of every statement recorded for each scenario, in the order they were measured:
 * analyzed when `serverUrl` names the PostgreSQL server.
 */
export async function explainRecorded(
  side: DatabaseSide,
  serverUrl: string | undefined,
): Promise<ScenarioPlans[]> {
  const recorded = await recordedStatements(side);
  let client: pg.Client | undefined;
  if (serverUrl) {
    const url = new URL(serverUrl);
    url.pathname = `/${side.database}`;
    client = new pg.Client({ connectionString: url.toString() });
    client.on("error", () => {});
    await client.connect();
  }
  try {
    const explainer = client ? analyzingExplainer(client) : plainExplainer(side);
    const plans: ScenarioPlans[] = [];
    for (const [scenario, statements] of Object.entries(recorded)) {
      const planned: PlannedStatement[] = [];
      for (const statement of statements) planned.push(await explain(explainer, statement));
      plans.push({ scenario, statements: planned });
    }
    return plans;
  } finally {
    await client?.end().catch(() => {});
  }
}
