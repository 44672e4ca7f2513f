// The query plans at scale: after the throughput runs, the scratch database grows to PLAN_USERS
// users and PLAN_TOKENS refresh tokens, and every distinct statement the Worker sent during each
// scenario's measured run (recorded by database-server.ts, with one sample of its parameters) is
// EXPLAINed (FORMAT JSON, never ANALYZE: plain EXPLAIN of a data-modifying statement changes
// nothing). A sequential scan of a table in any of them is a miss; bitmap scans are index scans.
import type { Backend } from "../sql-endpoint/index.ts";
import { analyze, insertRefreshTokens, insertThrottlesAndEvents, insertUsers } from "./bulk.ts";
import { type DatabaseSide, recordedStatements, runSql } from "./database.ts";
import type { RecordedStatement } from "./database-server.ts";
import { SEED_USERS } from "./seed.ts";

export const PLAN_USERS = 100_000;
/** PostgreSQL inserts 1,000,000 in well under a minute; PGlite, a single-threaded WASM build, a tenth. */
export const planTokens = (backend: Backend) => (backend.kind === "pg" ? 1_000_000 : 100_000);

export type PlannedStatement = {
  query: string;
  params: (string | null)[];
  calls: number;
  inTransaction: boolean;
  /** each scan (or write) node: "Index Scan using users_pkey on users" */
  nodes: string[];
  /** relations read by a Seq Scan */
  seqScans: string[];
  /** EXPLAIN refused it (a statement that is no query, say) */
  error?: string;
};

export type ScenarioPlans = { scenario: string; statements: PlannedStatement[] };

type PlanNode = {
  "Node Type"?: string;
  Operation?: string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
};

/**
 * Grows the data: users up to PLAN_USERS with the hash they already have, then the tokens, and
 * as many throttle windows and security events as users.
 */
export async function growForPlans(side: DatabaseSide, tokens: number): Promise<void> {
  const [row] = await runSql(
    side,
    "select password_hash from users where role = 'USER' order by created_at desc limit 1",
  );
  if (!row?.password_hash) throw new Error("no user to copy a password hash from");
  await insertUsers(side, SEED_USERS, PLAN_USERS - 1, row.password_hash);
  await insertRefreshTokens(side, tokens);
  await insertThrottlesAndEvents(side, PLAN_USERS);
  await analyze(side);
}

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

async function explain(side: DatabaseSide, statement: RecordedStatement) {
  const planned: PlannedStatement = { ...statement, nodes: [], seqScans: [] };
  try {
    const [row] = await runSql(side, `explain (format json) ${statement.query}`, statement.params);
    const [plan] = JSON.parse(row?.["QUERY PLAN"] ?? "[]") as { Plan: PlanNode }[];
    if (!plan) throw new Error("EXPLAIN answered no plan");
    const nodes = walk(plan.Plan, []);
    planned.nodes = nodes.map(describe);
    planned.seqScans = nodes
      .filter((node) => node["Node Type"] === "Seq Scan")
      .map((node) => node["Relation Name"] ?? "?");
  } catch (error) {
    planned.error = error instanceof Error ? error.message : String(error);
  }
  return planned;
}

/** The plans of every statement recorded for each scenario, in the order they were measured. */
export async function explainRecorded(side: DatabaseSide): Promise<ScenarioPlans[]> {
  const recorded = await recordedStatements(side);
  const plans: ScenarioPlans[] = [];
  for (const [scenario, statements] of Object.entries(recorded)) {
    const planned: PlannedStatement[] = [];
    for (const statement of statements) planned.push(await explain(side, statement));
    plans.push({ scenario, statements: planned });
  }
  return plans;
}
