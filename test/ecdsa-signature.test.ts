// The DER reader that stands in for @simplewebauthn/server's ASN.1 libraries in the Worker
// (src/lib/ecdsa-signature.ts): every signature WebCrypto makes comes back as WebCrypto verifies
// it, and anything that is not strict DER of two integers that fit the curve is refused.
import { describe, expect, it } from "vitest";
import { unwrapEC2Signature } from "../src/lib/ecdsa-signature";
import { derSignature } from "./helpers/authenticator";

const CURVES = [
  { crv: 1, namedCurve: "P-256", hash: "SHA-256", size: 32 },
  { crv: 2, namedCurve: "P-384", hash: "SHA-384", size: 48 },
  { crv: 3, namedCurve: "P-521", hash: "SHA-512", size: 66 },
] as const;

describe("unwrapEC2Signature", () => {
  it.each(CURVES)("gives back r || s of real $namedCurve signatures", async (curve) => {
    const keys = (await crypto.subtle.generateKey(
      { name: "ECDSA", namedCurve: curve.namedCurve },
      false,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const data = new TextEncoder().encode("signed data");
    for (let i = 0; i < 20; i++) {
      const raw = new Uint8Array(
        await crypto.subtle.sign({ name: "ECDSA", hash: curve.hash }, keys.privateKey, data),
      );
      const unwrapped = unwrapEC2Signature(derSignature(raw), curve.crv);
      expect(unwrapped).toEqual(raw);
      expect(unwrapped.length).toBe(curve.size * 2);
    }
  });

  it("pads short components to the curve's length", () => {
    const der = Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07);
    const unwrapped = unwrapEC2Signature(der, 1);
    expect(unwrapped[31]).toBe(5);
    expect(unwrapped[63]).toBe(7);
    expect(unwrapped.slice(0, 31).every((byte) => byte === 0)).toBe(true);
  });

  it.each([
    ["an empty signature", []],
    ["another tag than SEQUENCE", [0x31, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07]],
    ["a length longer than the bytes", [0x30, 0x07, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07]],
    ["trailing bytes", [0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07, 0x00]],
    ["one integer", [0x30, 0x03, 0x02, 0x01, 0x05]],
    ["an empty integer", [0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x07]],
    ["a negative integer", [0x30, 0x06, 0x02, 0x01, 0x85, 0x02, 0x01, 0x07]],
    ["a padded integer", [0x30, 0x07, 0x02, 0x02, 0x00, 0x05, 0x02, 0x01, 0x07]],
    ["a non-minimal length", [0x30, 0x81, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07]],
    ["an integer of another tag", [0x30, 0x06, 0x04, 0x01, 0x05, 0x02, 0x01, 0x07]],
    [
      "an integer past the curve's size",
      [0x30, 0x26, 0x02, 0x21, ...Array(33).fill(0x11), 0x02, 0x01, 0x07],
    ],
  ])("refuses %s", (_, bytes) => {
    expect(() => unwrapEC2Signature(Uint8Array.from(bytes as number[]), 1)).toThrow();
  });

  it("refuses a curve it does not know", () => {
    expect(() =>
      unwrapEC2Signature(Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07), 4),
    ).toThrow(/crv/);
  });
});
