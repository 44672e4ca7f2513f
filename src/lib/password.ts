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

/**
 * The password_hash of an account that has no password yet (imported without a hash): its owner
 * sets one through forgot-password. No bcrypt hash can equal it (they all start with `$2`), and
 * checkLoginPassword compares a login against a decoy instead, so logging in to such an account
 * fails like logging in to an unknown email: same answer, same time.
 */
export const NO_PASSWORD = "!";

/**
 * A bcrypt hash another system made that login can verify as it is: the `$2a$`, `$2b$` and `$2y$`
 * variants (one algorithm for passwords of at most 72 bytes, which are all this API accepts),
 * cost 4-15, 22 characters of salt and 31 of digest in bcrypt's base64.
 */
export const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|1[0-5])\$[./A-Za-z0-9]{53}$/;

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
  // An account without a password (NO_PASSWORD) is checked like an unknown one.
  const stored = hash === NO_PASSWORD ? undefined : hash;
  const matches = await bcrypt.compare(password, stored ?? decoyHash(cost));
  if (stored !== undefined && !matches && bcrypt.getRounds(stored) < cost) {
    await bcrypt.compare(password, decoyHash(cost));
  }
  return stored !== undefined && matches;
}

/**
 * Whether a hash that just verified should be replaced: another cost than the configured one, or
 * another variant than bcryptjs writes (`$2a$`/`$2y$` of an imported hash), so every stored hash
 * ends up in one form at one cost.
 */
export function needsRehash(hash: string, cost: number): boolean {
  return bcrypt.getRounds(hash) !== cost || !hash.startsWith("$2b$");
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
