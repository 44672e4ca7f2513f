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

export function needsRehash(hash: string, cost: number): boolean {
  return bcrypt.getRounds(hash) !== cost;
}

/**
 * A well-formed bcrypt hash of nothing anyone knows, at the configured cost: comparing a password
 * against it costs what a real comparison costs, so unknown accounts answer in the same time.
 */
export function decoyHash(cost: number): string {
  const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const digest = [...crypto.getRandomValues(new Uint8Array(31))]
    .map((b) => alphabet[b % 64])
    .join("");
  return bcrypt.genSaltSync(cost) + digest;
}
