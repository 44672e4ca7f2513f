import type { UserRow } from "../db/schema";
import { problems } from "./problems";

/** A user's ETag is its revision, which moves on every change of the row. */
export const etagOf = (user: Pick<UserRow, "revision">) => `"${user.revision}"`;

/**
 * The revisions an If-Match header accepts (RFC 9110: any listed tag may match), or undefined
 * when it demands none (absent or `*`). Tags this API never issues (weak or foreign ones) cannot
 * match; a header with none of ours is a 412 at once.
 */
export function acceptedRevisions(ifMatch: string | undefined): number[] | undefined {
  if (ifMatch === undefined || ifMatch.trim() === "*") return undefined;
  const revisions = ifMatch
    .split(",")
    .map((tag) => /^\s*"(\d{1,9})"\s*$/.exec(tag)?.[1])
    .filter((revision) => revision !== undefined)
    .map(Number);
  if (revisions.length === 0) {
    throw problems.preconditionFailed();
  }
  return revisions;
}
