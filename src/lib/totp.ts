// Two-factor primitives free of the database: TOTP (RFC 6238 over RFC 4226 HOTP, from
// @oslojs/otp), the AES-GCM encryption of secrets at rest (Web Crypto) and recovery codes.
import { decodeBase32IgnorePadding, decodeBase64, encodeBase32NoPadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { constantTimeEqual } from "./crypto";

/** What authenticator apps expect: SHA-1, 6 digits, a 30-second step. */
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps of clock drift accepted either side of the server's. */
export const TOTP_DRIFT_STEPS = 1;

/** A new secret: 160 random bits (RFC 4226's recommended length), base32 without padding. */
export function generateTotpSecret(): string {
  return encodeBase32NoPadding(crypto.getRandomValues(new Uint8Array(20)));
}

/** The time step of a moment (seconds since the epoch). */
export const totpStep = (unixSeconds: number) => Math.floor(unixSeconds / TOTP_PERIOD_SECONDS);

/** The code of one time step; `secret` is base32 (as shown to the user) or the raw key bytes. */
export function totpCode(secret: string | Uint8Array, step: number, digits = TOTP_DIGITS): string {
  const key = typeof secret === "string" ? decodeBase32IgnorePadding(secret) : secret;
  return generateHOTP(key, BigInt(step), digits);
}

/**
 * The step, within the drift around `now`, whose code `code` is, newest first; null when none
 * is. Every candidate is compared in constant time. Replay is the caller's rule (it knows the
 * last step it accepted).
 */
export async function matchTotpStep(
  secret: string,
  code: string,
  unixSeconds: number = Date.now() / 1000,
): Promise<number | null> {
  const key = decodeBase32IgnorePadding(secret);
  const current = totpStep(unixSeconds);
  let matched: number | null = null;
  for (let step = current + TOTP_DRIFT_STEPS; step >= current - TOTP_DRIFT_STEPS; step--) {
    if ((await constantTimeEqual(totpCode(key, step), code)) && matched === null) matched = step;
  }
  return matched;
}

/** The otpauth:// URL that authenticator apps read (usually from a QR code). */
export function otpauthUrl(issuer: string, account: string, secret: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = [
    `secret=${secret}`,
    `issuer=${encodeURIComponent(issuer)}`,
    "algorithm=SHA1",
    `digits=${TOTP_DIGITS}`,
    `period=${TOTP_PERIOD_SECONDS}`,
  ].join("&");
  return `otpauth://totp/${label}?${query}`;
}

const IV_BYTES = 12;
const aesKeys = new Map<string, Promise<CryptoKey>>();

/** The AES-256-GCM key of MFA_ENCRYPTION_KEY (its first 32 bytes), imported once. */
function aesKey(keyBase64: string): Promise<CryptoKey> {
  let key = aesKeys.get(keyBase64);
  if (!key) {
    const raw = decodeBase64(keyBase64.padEnd(Math.ceil(keyBase64.length / 4) * 4, "="));
    key = crypto.subtle.importKey("raw", raw.slice(0, 32), "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    aesKeys.set(keyBase64, key);
  }
  return key;
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

/** AES-GCM with a fresh random 12-byte IV: base64 of IV followed by ciphertext and tag. */
export async function encryptSecret(keyBase64: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await aesKey(keyBase64),
    new TextEncoder().encode(plaintext),
  );
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return toBase64(out);
}

/** The plaintext of encryptSecret's output; throws when the key or the data is not the same. */
export async function decryptSecret(keyBase64: string, stored: string): Promise<string> {
  const bytes = fromBase64(stored);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: bytes.slice(0, IV_BYTES) },
    await aesKey(keyBase64),
    bytes.slice(IV_BYTES),
  );
  return new TextDecoder().decode(plain);
}

export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"; // no 0/o, 1/l/i
const RECOVERY_GROUPS = 4;
const RECOVERY_GROUP_LENGTH = 4;

/**
 * A recovery code: four groups of four characters from a 31-letter alphabet without look-alikes
 * (about 79 bits), like `k7rm-2xqd-9fha-tw4p`.
 */
export function generateRecoveryCode(): string {
  const length = RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH;
  const chars: string[] = [];
  while (chars.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      // Rejection sampling: only bytes below the largest multiple of the alphabet's size.
      if (byte < 248 && chars.length < length) chars.push(RECOVERY_ALPHABET[byte % 31] as string);
    }
  }
  const groups = [];
  for (let i = 0; i < length; i += RECOVERY_GROUP_LENGTH) {
    groups.push(chars.slice(i, i + RECOVERY_GROUP_LENGTH).join(""));
  }
  return groups.join("-");
}

/** A recovery code as typed (any case, with or without dashes and spaces), as it is hashed. */
export const normaliseRecoveryCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, "");
