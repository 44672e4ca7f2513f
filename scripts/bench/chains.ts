// POST /auth/refresh with real rotation: a refresh token is single use, each answer carries the
// next one, and a spent token sent again revokes its whole family. So every autocannon connection
// gets a session of its own (one login each, beforehand) and always sends the token it got last,
// through the warm-up and the measured run alike.
//
// autocannon resets a connection's `context` each time it wraps around its `requests` list, which
// with a one-request list is every request: the token cannot live there. It lives in a Chain that
// setupClient hands to each connection, whose requests (client.setRequests, autocannon's documented
// Client API) close over it.
import type { Client, RequestData } from "autocannon";
import { type Credentials, logIn } from "./seed.ts";

export type Chain = {
  /** the newest refresh token this session got, the one to send next */
  token: string;
  /** why the chain broke: an answer without a next token */
  lost?: string;
  /** a request was sent and its answer has not come (yet) */
  inFlight: boolean;
};

/** One session per connection, logged in a few at a time (each login is a bcrypt hash). */
export async function openChains(
  base: string,
  credentials: Credentials,
  count: number,
): Promise<Chain[]> {
  const chains: Chain[] = [];
  while (chains.length < count) {
    const batch = Math.min(4, count - chains.length);
    const logins = await Promise.all(Array.from({ length: batch }, () => logIn(base, credentials)));
    for (const tokens of logins) chains.push({ token: tokens.refresh_token, inFlight: false });
  }
  return chains;
}

/**
 * autocannon's setupClient for one load: the n-th connection to be set up sends chain n's token.
 * A load must have exactly as many connections as there are chains.
 */
export function chainedClients(chains: Chain[], path: string): (client: Client) => void {
  let next = 0;
  return (client) => {
    const chain = chains[next++];
    if (!chain) throw new Error("more connections than refresh-token chains");
    client.setRequests([
      {
        method: "POST",
        path,
        headers: { "Content-Type": "application/json" },
        setupRequest: (request: RequestData) => {
          chain.inFlight = true;
          return { ...request, body: JSON.stringify({ refresh_token: chain.token }) };
        },
        onResponse: (status: number, body: string) => {
          chain.inFlight = false;
          const next = status === 200 ? nextToken(body) : undefined;
          if (next) chain.token = next;
          else chain.lost ??= `answered ${status}: ${body.slice(0, 300)}`;
        },
      },
    ]);
  };
}

function nextToken(body: string): string | undefined {
  try {
    const token = (JSON.parse(body) as { refresh_token?: unknown }).refresh_token;
    return typeof token === "string" && token !== "" ? token : undefined;
  } catch {
    return undefined;
  }
}

/** Throws when a chain broke, or when a load ended before a sent token's answer came back. */
export function checkChains(chains: Chain[], scenario: string): void {
  const broken = chains.flatMap((chain, i) => {
    if (chain.lost) return [`connection ${i}: ${chain.lost}`];
    if (chain.inFlight) return [`connection ${i}: a refresh was cut off, its next token unknown`];
    return [];
  });
  if (broken.length > 0) {
    throw new Error(
      `${scenario}: ${broken.length} of ${chains.length} refresh-token chains were lost:\n  ${broken.slice(0, 5).join("\n  ")}`,
    );
  }
}
