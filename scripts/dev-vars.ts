// Small helpers shared by the dev scripts: the local .dev.vars file and printable database URLs.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { parseEnv } from "node:util";

/** Parses KEY=VALUE lines the way wrangler reads .dev.vars (dotenv syntax, # comments). */
export function parseDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [key, value] of Object.entries(parseEnv(text))) {
    if (value !== undefined) vars[key] = value;
  }
  return vars;
}

export async function readDevVars(file: string): Promise<Record<string, string>> {
  return parseDevVars(await readFile(file, "utf8"));
}

/** 48 random bytes, base64url: 64 characters, well above HS256's 32-character minimum. */
export function randomSecret(): string {
  return randomBytes(48).toString("base64url");
}

/**
 * Creates `file` from `exampleFile` with a fresh JWT_SECRET unless it exists already.
 * Returns whether it created the file.
 */
export async function ensureDevVars(file: string, exampleFile: string): Promise<boolean> {
  if (existsSync(file)) return false;
  const example = await readFile(exampleFile, "utf8");
  const text = example.replace(/^JWT_SECRET=.*$/m, `JWT_SECRET=${randomSecret()}`);
  try {
    // "wx": never overwrite a developer's file, even if it appeared since we looked.
    await writeFile(file, text, { flag: "wx", mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === "EEXIST") return false;
    throw error;
  }
}

/** The URL without its password, safe to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "(a connection string that is not a valid URL)";
  }
}

export type DatabaseTarget =
  | { kind: "pglite"; name: string }
  | { kind: "local-postgres"; name: string }
  | { kind: "remote" };

/** How `npm run dev` serves DATABASE_URL, decided by its host (see .dev.vars.example). */
export function databaseTargetOf(databaseUrl: string): DatabaseTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error("DATABASE_URL is not a valid URL");
  }
  const host = url.hostname.toLowerCase();
  let name = url.pathname.replace(/^\//, "");
  try {
    name = decodeURIComponent(name);
  } catch {
    // Keep it encoded; the SQL endpoint rejects the name with a clear message.
  }
  if (host === "pglite") return { kind: "pglite", name };
  if (host === "localhost" || host === "127.0.0.1" || host === "[::1]" || host === "::1") {
    return { kind: "local-postgres", name };
  }
  return { kind: "remote" };
}

/** The pages the emails link to, served by the Worker itself. */
const LOCAL_PAGES = { PASSWORD_RESET_URL: "/reset-password", EMAIL_VERIFY_URL: "/verify-email" };
/** What .dev.vars.example once shipped, which only ever meant "this dev server". */
const SHIPPED_DEFAULT = "http://localhost:8787";

/**
 * The email link settings for a dev server at `base`: each points at the Worker's own page on the
 * real port, unless .dev.vars sets it to something of its own.
 */
export function emailLinkVars(vars: Record<string, string>, base: string): Record<string, string> {
  const links: Record<string, string> = {};
  for (const [name, path] of Object.entries(LOCAL_PAGES)) {
    const set = vars[name];
    if (!set || set === `${SHIPPED_DEFAULT}${path}`) links[name] = `${base}${path}`;
  }
  return links;
}

/**
 * The passkey settings for a dev server on `port`: the relying party `localhost` and this
 * server's own origin, `http://localhost:PORT` (browsers offer passkeys over http: to localhost
 * only, and the origin's host must be the RP ID: not 127.0.0.1), unless .dev.vars names a
 * relying party of its own (then its WEBAUTHN_ORIGINS go with it).
 */
export function passkeyVars(vars: Record<string, string>, port: number): Record<string, string> {
  if (vars.WEBAUTHN_RP_ID && vars.WEBAUTHN_RP_ID !== "localhost") return {};
  return {
    WEBAUTHN_RP_ID: "localhost",
    ...(vars.WEBAUTHN_ORIGINS ? {} : { WEBAUTHN_ORIGINS: `http://localhost:${port}` }),
  };
}
