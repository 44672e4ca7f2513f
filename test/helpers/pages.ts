// The paging of every list as a client sees it: RFC 8288 links, and walking a list by them.
import { expect } from "vitest";
import { type CallResult, call } from "./worker";

/** The RFC 8288 Link header as rel -> target URL. */
export function linksOf(res: CallResult): Record<string, URL> {
  const header = res.headers.get("link") ?? "";
  const links: Record<string, URL> = {};
  for (const [, target, rel] of header.matchAll(/<([^>]*)>\s*;\s*rel="([^"]+)"/g)) {
    links[rel as string] = new URL(target as string, "http://localhost");
  }
  return links;
}

/** Follows a link as a client would. */
export function follow(token: string, link: URL | undefined) {
  return call(`${link?.pathname}${link?.search}`, { token });
}

/** The ids of every page from `path` on, following each `next` link to the end. */
export async function walk(token: string, path: string): Promise<string[]> {
  const ids: string[] = [];
  let res = await call(path, { token });
  for (;;) {
    expect(res.status, res.text).toBe(200);
    ids.push(...(res.json as { id: string }[]).map((row) => row.id));
    const next = linksOf(res).next;
    if (!next) return ids;
    res = await follow(token, next);
  }
}
