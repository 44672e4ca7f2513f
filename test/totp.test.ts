// The two-factor primitives on their own: TOTP against RFC 6238's SHA-1 test vectors, the
// AES-GCM encryption of secrets at rest, the otpauth:// URL and recovery codes.
import { describe, expect, it } from "vitest";
import {
  decryptSecret,
  encryptSecret,
  generateRecoveryCode,
  generateTotpSecret,
  matchTotpStep,
  normaliseRecoveryCode,
  otpauthUrl,
  totpCode,
  totpStep,
} from "../src/lib/totp";
import { testEnv } from "./helpers/worker";

const KEY = testEnv.MFA_ENCRYPTION_KEY as string;
// RFC 6238 appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
const RFC_KEY = new TextEncoder().encode("12345678901234567890");

describe("TOTP (RFC 6238, SHA-1)", () => {
  it.each([
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
  ])("at %i s gives %s (8 digits), and its last 6 digits", (time, expected) => {
    expect(totpCode(RFC_KEY, totpStep(time), 8)).toBe(expected);
    expect(totpCode(RFC_KEY, totpStep(time))).toBe(expected.slice(-6));
  });

  it("reads the key as base32 as well as bytes", () => {
    // "12345678901234567890" in base32.
    expect(totpCode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", totpStep(59), 8)).toBe("94287082");
  });

  it("accepts one step of drift either side, newest matching step first, and no more", async () => {
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const now = 1_800_000_015;
    const step = totpStep(now);
    for (const offset of [-1, 0, 1]) {
      expect(await matchTotpStep(secret, totpCode(secret, step + offset), now)).toBe(step + offset);
    }
    for (const offset of [-2, 2]) {
      const code = totpCode(secret, step + offset);
      const neighbours = [-1, 0, 1].map((o) => totpCode(secret, step + o));
      // A 1-in-a-million collision with a neighbour's code would make this test meaningless.
      if (!neighbours.includes(code)) expect(await matchTotpStep(secret, code, now)).toBeNull();
    }
    expect(await matchTotpStep(secret, "12345", now)).toBeNull();
  });
});

describe("secrets at rest (AES-GCM)", () => {
  it("round-trips, with a fresh IV each time, and fails under another key or when altered", async () => {
    const secret = generateTotpSecret();
    const a = await encryptSecret(KEY, secret);
    const b = await encryptSecret(KEY, secret);
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret);
    // 12 bytes of IV, the ciphertext (32 bytes) and the 16-byte tag.
    expect(atob(a).length).toBe(12 + 32 + 16);
    expect(await decryptSecret(KEY, a)).toBe(secret);
    expect(await decryptSecret(KEY, b)).toBe(secret);
    const other = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
    await expect(decryptSecret(other, a)).rejects.toThrow();
    const bytes = Uint8Array.from(atob(a), (ch) => ch.charCodeAt(0));
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    await expect(decryptSecret(KEY, btoa(String.fromCharCode(...bytes)))).rejects.toThrow();
  });
});

describe("otpauth URL and recovery codes", () => {
  it("builds the URL authenticator apps read", () => {
    expect(otpauthUrl("User Management API", "alice@example.com", "JBSWY3DP")).toBe(
      "otpauth://totp/User%20Management%20API:alice%40example.com?secret=JBSWY3DP&issuer=User%20Management%20API&algorithm=SHA1&digits=6&period=30",
    );
  });

  it("makes distinct, readable recovery codes and normalises what users type", () => {
    const codes = Array.from({ length: 200 }, generateRecoveryCode);
    expect(new Set(codes).size).toBe(200);
    for (const code of codes) expect(code).toMatch(/^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$/);
    expect(normaliseRecoveryCode(" K7RM-2xqd 9fha-TW4P ")).toBe("k7rm2xqd9fhatw4p");
  });
});
