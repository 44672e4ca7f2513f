import bcrypt from "bcryptjs";
import { commonPasswords } from "./common-passwords.generated";
import { problems } from "./problems";

/** bcrypt reads at most 72 bytes; longer passwords are refused rather than silently cut. */
const PASSWORD_MAX_BYTES = 72;

let common: Set<string> | undefined;

/** Refuses passwords bcrypt would truncate, well-known ones, and ones that are the user's name. */
export function assertAcceptablePassword(
  password: string,
  field: string,
  identity: string[] = [],
): void {
  if (new TextEncoder().encode(password).length > PASSWORD_MAX_BYTES) {
    throw problems.passwordTooLong(field, PASSWORD_MAX_BYTES);
  }
  common ??= new Set(commonPasswords.split("\n"));
  const lowered = password.toLowerCase();
  const personal = identity.some(
    (part) => part.length >= 3 && lowered.includes(part.toLowerCase()),
  );
  if (common.has(lowered) || personal) throw problems.weakPassword(field, personal);
}

export function hashPassword(password: string, cost: number): Promise<string> {
  return bcrypt.hash(password, cost);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

/**
 * Checks a login's password in about the time one comparison at the configured cost takes,
 * whatever the account: an unknown account (no hash) is compared against a decoy, and a failed
 * comparison against a cheaper stored hash is topped up with a decoy at the configured cost. So
 * neither an unknown email nor an account with an old, cheaper hash answers faster.
 */
export async function checkLoginPassword(
  password: string,
  hash: string | undefined,
  cost: number,
): Promise<boolean> {
  const matches = await bcrypt.compare(password, hash ?? decoyHash(cost));
  if (hash !== undefined && !matches && bcrypt.getRounds(hash) < cost) {
    await bcrypt.compare(password, decoyHash(cost));
  }
  return hash !== undefined && matches;
}

export function needsRehash(hash: string, cost: number): boolean {
  return bcrypt.getRounds(hash) !== cost;
}

/**
 * A well-formed bcrypt hash of nothing anyone knows, at the given cost: comparing a password
 * against it costs what a real comparison costs.
 */
function decoyHash(cost: number): string {
  const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const digest = [...crypto.getRandomValues(new Uint8Array(31))]
    .map((b) => alphabet[b % 64])
    .join("");
  return bcrypt.genSaltSync(cost) + digest;
}
