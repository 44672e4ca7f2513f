// The opaque cursor of a keyset-paginated list: where a page starts, readable only by this server
// and refused when altered. It carries the sort key and id of the edge row of the page it came
// from, and a MAC over them and the list they belong to (its name, sort and filters), so a cursor
// of another list, sort or filter is refused like a forged one.
import { z } from "@hono/zod-openapi";
import { base64url, constantTimeEqual, derivedToken } from "./crypto";

/**
 * Where a page starts: after or before an edge row (by its sort key, as the database's text, and
 * its id), or before the end (the last page).
 */
export type CursorPosition =
  | { direction: "after" | "before"; key: string; id: string }
  | { direction: "end" };

/** The list a cursor belongs to: its name and everything that decides its rows and their order. */
export type ListBinding = readonly (string | boolean | null | undefined)[];

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const Payload = z.union([
  z.tuple([z.enum(["after", "before"]), z.string().max(1000), z.uuid()]),
  z.tuple([z.literal("end")]),
]);

const macOf = (secret: string, binding: ListBinding, payload: string) =>
  derivedToken(secret, "list-cursor", `${JSON.stringify(binding)}\n${payload}`);

/** A cursor for `position` in the list `binding` names, MACed with the server's secret. */
export async function encodeCursor(
  secret: string,
  binding: ListBinding,
  position: CursorPosition,
): Promise<string> {
  const values =
    position.direction === "end"
      ? [position.direction]
      : [position.direction, position.key, position.id];
  const payload = base64url(encoder.encode(JSON.stringify(values)));
  return `${payload}.${await macOf(secret, binding, payload)}`;
}

/**
 * The position a cursor names, or undefined when it is not one this server made for this very
 * list (altered, truncated, of another list, sort or filter, or made under another secret).
 */
export async function decodeCursor(
  secret: string,
  binding: ListBinding,
  cursor: string,
): Promise<CursorPosition | undefined> {
  const [payload, mac, ...rest] = cursor.split(".");
  if (!payload || !mac || rest.length > 0) return undefined;
  if (!(await constantTimeEqual(mac, await macOf(secret, binding, payload)))) return undefined;
  try {
    const bytes = Uint8Array.from(atob(payload.replaceAll("-", "+").replaceAll("_", "/")), (ch) =>
      ch.charCodeAt(0),
    );
    const parsed = Payload.safeParse(JSON.parse(decoder.decode(bytes)));
    if (!parsed.success) return undefined;
    const values = parsed.data;
    if (values[0] === "end") return { direction: "end" };
    const [direction, key, id] = values;
    return { direction, key, id };
  } catch {
    return undefined;
  }
}
