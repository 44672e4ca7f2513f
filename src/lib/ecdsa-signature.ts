// The one piece of ASN.1 that verifying a passkey's assertion needs, in place of the ASN.1
// libraries @simplewebauthn/server would otherwise bundle for it (some 30 KiB of the Worker,
// gzipped; scripts/webauthn-trim.ts swaps it in for the library's own unwrapEC2Signature).

/** Bytes of r and of s for each COSE curve: P-256 (1), P-384 (2), P-521 (3). */
const COMPONENT_BYTES: Record<number, number> = { 1: 32, 2: 48, 3: 66 };

/**
 * An ECDSA signature as authenticators send it, DER `SEQUENCE { INTEGER r, INTEGER s }`, in the
 * form WebCrypto verifies: r and s big-endian, each padded to the curve's length, concatenated.
 * Anything that is not strict DER of two positive integers that fit the curve throws.
 */
export function unwrapEC2Signature(signature: Uint8Array, crv: number): Uint8Array {
  const size = COMPONENT_BYTES[crv];
  if (size === undefined) throw new Error(`Unexpected COSE crv value of ${crv} (EC2)`);
  let offset = 0;
  const byte = () => {
    const value = signature[offset++];
    if (value === undefined) throw new Error("ECDSA signature is truncated");
    return value;
  };
  /** A DER length: short form, or the one-byte long form (a P-521 signature needs it). */
  const length = () => {
    const first = byte();
    if (first < 0x80) return first;
    const long = first === 0x81 ? byte() : -1;
    if (long < 0x80) throw new Error("ECDSA signature has a malformed length");
    return long;
  };
  const integer = () => {
    if (byte() !== 0x02) throw new Error("ECDSA signature component is not an INTEGER");
    const end = length() + offset;
    if (end > signature.length || end === offset) throw new Error("ECDSA signature is truncated");
    let value = signature.subarray(offset, end);
    offset = end;
    const [first = 0, second = 0] = value;
    if (first >= 0x80) throw new Error("ECDSA signature component is negative");
    if (first === 0 && value.length > 1) {
      if (second < 0x80) throw new Error("ECDSA signature component is not minimal DER");
      value = value.subarray(1);
    }
    if (value.length > size) throw new Error("ECDSA signature component is too long");
    const padded = new Uint8Array(size);
    padded.set(value, size - value.length);
    return padded;
  };
  if (byte() !== 0x30) throw new Error("ECDSA signature is not a SEQUENCE");
  if (length() !== signature.length - offset) throw new Error("ECDSA signature length mismatch");
  const r = integer();
  const s = integer();
  if (offset !== signature.length) throw new Error("ECDSA signature has trailing bytes");
  const joined = new Uint8Array(size * 2);
  joined.set(r);
  joined.set(s, size);
  return joined;
}
