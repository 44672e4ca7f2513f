// The list statements the API sends beyond the first pages that the bench loads (scenarios.ts:
// the default page of users, a common search, the session lists and the event logs): at the
// largest size each list below is requested once, its statements recorded under its own name, so
// that explainRecorded (plans.ts) EXPLAINs them with the scenarios' own: every order, the
// filters, a rare search, a page after a cursor, an exact count and a filtered event log, all at
// 1,000,000 users.
import { username } from "./bulk.ts";
import { recordAs } from "./database.ts";
import { messageOf } from "./report.ts";
import type { Stage } from "./stage.ts";

/** The path and query of a Link header's `rel="next"` (its target may be relative). */
export function nextOf(link: string | null): string | undefined {
  const target = link?.match(/<([^>]+)>;\s*rel="next"/)?.[1];
  if (target === undefined) return undefined;
  const url = new URL(target, "http://origin.invalid");
  return url.pathname + url.search;
}

/** recordListStatements, whose failure costs the run these plans only, never its measurements. */
export async function tryRecordListStatements(stage: Stage): Promise<void> {
  try {
    await recordListStatements(stage);
  } catch (error) {
    console.log(`  the other lists' plans are missing: ${messageOf(error)}`);
  }
}

async function recordListStatements(stage: Stage): Promise<void> {
  const { adminToken } = stage.seeded;
  // One user's username: a term matching about one user, whose trigrams every username shares.
  const rare = username(Math.floor(stage.users / 2) + 7);
  const get = async (label: string | null, path: string, token: string) => {
    await recordAs(stage.database, label);
    try {
      const response = await fetch(`${stage.workerd.base}${path}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
      return response.headers.get("Link");
    } finally {
      await recordAs(stage.database, null);
    }
  };
  const page = "/users?per_page=20";
  const next = nextOf(await get(null, page, adminToken));
  const lists: [label: string, path: string | undefined, token: string][] = [
    ["list: GET /users, the page after a cursor", next, adminToken],
    ["list: GET /users?sort=-username", `${page}&sort=-username`, adminToken],
    ["list: GET /users?sort=email", `${page}&sort=email`, adminToken],
    ["list: GET /users?role=ADMIN (0.1 %)", `${page}&role=ADMIN`, adminToken],
    ["list: GET /users?role=USER&active=true (98 %)", `${page}&role=USER&active=true`, adminToken],
    ["list: GET /users?active=false (2 %)", `${page}&active=false&sort=-created_at`, adminToken],
    [`list: GET /users?q=${rare} (rare)`, `${page}&q=${rare}`, adminToken],
    ["list: GET /users?count=exact", `${page}&count=exact`, adminToken],
    [
      "list: GET /events?type=refresh.reuse_detected",
      "/events?type=refresh.reuse_detected",
      adminToken,
    ],
  ];
  for (const [label, path, token] of lists) {
    if (path === undefined) throw new Error(`no path for ${label}`);
    await get(label, path, token);
  }
}
