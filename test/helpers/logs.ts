// What the Worker writes to its log, read where it happens: the Worker runs in the test's own
// isolate, so spying on console sees every line of a real request.
import { expect, vi } from "vitest";
import { testEnv } from "./worker";

/** Records every console line (any level) until `restore`. */
export function captureLogs() {
  const lines: string[] = [];
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(
        args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" "),
      );
    }),
  );
  const restore = () => {
    for (const spy of spies) spy.mockRestore();
  };
  return { lines, restore };
}

/** The request line's fields, exactly (middleware/request-log.ts); undefined ones are left out. */
export const REQUEST_LINE_KEYS = [
  "level",
  "event",
  "request_id",
  "method",
  "route",
  "status",
  "code",
  "duration_ms",
  "db_trips",
  "db_ms",
  "colo",
  "country",
  "user",
];

export type RequestLine = {
  level: string;
  event: "request";
  request_id: string;
  method: string;
  route: string;
  status: number;
  code?: string;
  duration_ms: number;
  db_trips: number;
  db_ms: number;
  colo?: string;
  country?: string;
  user?: string;
};

/** A route pattern: literal segments and `{name}` parameters, or the label of no route. */
const ROUTE = /^(?:unmatched|\/|(?:\/(?:[a-z0-9._-]+|\{[a-z_]+\}))+)$/i;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const JWT = /eyJ[\w-]+\.[\w-]+/;

/** The configured secrets, none of which may ever be logged. */
const CONFIG_SECRETS = ["JWT_SECRET", "SECRET_ADMIN_KEY", "RESEND_API_KEY", "MFA_ENCRYPTION_KEY"]
  .map((name) => testEnv[name])
  .filter((value): value is string => typeof value === "string");

/**
 * Asserts that no line holds an email address, a JWT, a configured secret, the database URL or any
 * of `secrets` (passwords, tokens, user ids of the run), and that every request line has exactly
 * the documented shape with a route pattern in place of the path. Answers the request lines.
 */
export function expectSafeLines(lines: string[], secrets: string[] = []): RequestLine[] {
  const forbidden = [...CONFIG_SECRETS, String(testEnv.DATABASE_URL), ...secrets].filter(
    (value) => value.length >= 8,
  );
  const requests: RequestLine[] = [];
  for (const line of lines) {
    expect(line, "an email address in the log").not.toMatch(/[\w.+-]+@[\w-]+\.[\w.-]+/);
    expect(line, "a JWT in the log").not.toMatch(JWT);
    for (const secret of forbidden) {
      expect(line.includes(secret), `a secret in the log: ${line}`).toBe(false);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`a log line that is not JSON: ${line}`);
    }
    const entry = parsed as Record<string, unknown>;
    if (entry.event !== "request") continue;
    for (const key of Object.keys(entry)) expect(REQUEST_LINE_KEYS, line).toContain(key);
    expect(entry.level, line).toMatch(/^(info|error)$/);
    expect(entry.request_id, line).toEqual(expect.any(String));
    expect(entry.method, line).toMatch(/^[A-Z]+$/);
    expect(entry.route, line).toMatch(ROUTE);
    expect(entry.route, line).not.toMatch(UUID);
    expect(entry.status, line).toEqual(expect.any(Number));
    if (entry.code !== undefined) expect(entry.code, line).toMatch(/^[a-z_]+$/);
    expect(entry.code !== undefined, line).toBe((entry.status as number) >= 400);
    expect(entry.duration_ms, line).toBeGreaterThanOrEqual(0);
    expect(Number.isInteger(entry.db_trips), line).toBe(true);
    expect(entry.db_ms, line).toBeGreaterThanOrEqual(0);
    if (entry.user !== undefined) expect(entry.user, line).toMatch(/^[\w-]{16}$/);
    requests.push(entry as RequestLine);
  }
  return requests;
}
