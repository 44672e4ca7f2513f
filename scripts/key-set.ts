// Edits a JWT_SIGNING_KEYS value, so nobody hand-writes a JWK: the steps of a rotation that signs
// nobody out (README, "Signing keys and rotation"), and the line of it in .dev.vars.
import { readFile, writeFile } from "node:fs/promises";
import {
  generateSigningKey,
  type SigningAlgorithm,
  type SigningKey,
  signingKeySetSchema,
} from "../src/lib/signing-keys.ts";
import { parseDevVars } from "./dev-vars.ts";

/** A key set read from text, with the Worker's own rules (its error names no key material). */
export function parseKeySet(text: string): SigningKey[] {
  const parsed = signingKeySetSchema.safeParse(text.trim());
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) =>
    [issue.path.join("."), issue.message].filter(Boolean).join(" "),
  );
  throw new Error(`not a valid JWT_SIGNING_KEYS value: ${problems.join("; ")}`);
}

/** The value to store: one line of JSON, as `wrangler secret put` and .dev.vars take it. */
export const formatKeySet = (keys: SigningKey[]) => JSON.stringify(keys);

/** A new set: one key, which signs. */
export async function generateKeySet(alg: SigningAlgorithm = "ES256"): Promise<SigningKey[]> {
  return [await generateSigningKey(alg, "current")];
}

export type Rotation = { keys: SigningKey[]; step: "published" | "switched" };

/**
 * One step of a rotation. Without a `next` key it adds one (of `alg`, else the current key's
 * algorithm): deploy it and wait for JWKS caches (10 minutes) before the second step. With one,
 * the next key signs from now on and the current key becomes `previous`, still verifying.
 */
export async function rotateKeySet(keys: SigningKey[], alg?: SigningAlgorithm): Promise<Rotation> {
  const current = keys.find((key) => key.status === "current");
  const next = keys.find((key) => key.status === "next");
  if (!next) {
    const added = await generateSigningKey(alg ?? current?.alg ?? "ES256", "next");
    return { keys: [...keys, added], step: "published" };
  }
  return {
    keys: keys.map((key): SigningKey => {
      if (key === next) return { ...key, status: "current" };
      if (key === current) return { ...key, status: "previous" };
      return key;
    }),
    step: "switched",
  };
}

/** Drops the `previous` keys: their tokens stop verifying, so only once they have expired. */
export function retireKeySet(keys: SigningKey[]): SigningKey[] {
  if (!keys.some((key) => key.status === "previous")) {
    throw new Error("the key set has no previous key to retire");
  }
  return keys.filter((key) => key.status !== "previous");
}

const KEYS_LINE = /^JWT_SIGNING_KEYS=.*$/m;

/** The key set of a .dev.vars file, or undefined when it sets none. */
export async function devVarsKeySet(file: string): Promise<SigningKey[] | undefined> {
  const value = parseDevVars(await readFile(file, "utf8")).JWT_SIGNING_KEYS;
  return value ? parseKeySet(value) : undefined;
}

/** Sets JWT_SIGNING_KEYS in a .dev.vars file, in place of its line or at its end. */
export async function writeDevVarsKeySet(file: string, keys: SigningKey[]): Promise<void> {
  const text = await readFile(file, "utf8");
  // Single quotes: dotenv takes the JSON literally (it has no single quotes of its own).
  const line = `JWT_SIGNING_KEYS='${formatKeySet(keys)}'`;
  const updated = KEYS_LINE.test(text)
    ? text.replace(KEYS_LINE, () => line)
    : `${text.replace(/\n*$/, "\n")}\n# Signs access tokens; npm run keys -- rotate --dev-vars rotates it.\n${line}\n`;
  await writeFile(file, updated, { mode: 0o600 });
}

/** Gives .dev.vars a fresh key set unless it has one. Returns whether it did. */
export async function ensureDevVarsKeySet(file: string): Promise<boolean> {
  if (await devVarsKeySet(file)) return false;
  await writeDevVarsKeySet(file, await generateKeySet());
  return true;
}
