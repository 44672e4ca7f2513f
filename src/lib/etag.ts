import type { UserRow } from "../db/schema";
import { ApiError } from "./problem";

/** A user's ETag is its revision, which moves on every change of the row. */
export const etagOf = (user: Pick<UserRow, "revision">) => `"${user.revision}"`;

/**
 * The revision an If-Match header demands, or undefined when it demands none (absent or `*`).
 * A tag this API never issued cannot match: 412 at once.
 */
export function expectedRevision(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === "*") return undefined;
  const tags = ifMatch.split(",").map((tag) => /^\s*"(\d{1,9})"\s*$/.exec(tag)?.[1]);
  const [first, ...rest] = tags;
  if (first === undefined || rest.length > 0) {
    throw new ApiError(412, "precondition_failed", "If-Match does not match the current ETag.");
  }
  return Number(first);
}
