// A software WebAuthn authenticator for the tests: P-256 keys from WebCrypto, and the
// authenticator data, "none" attestation objects, client data and assertion signatures a browser
// and a platform authenticator would produce, built here byte by byte (CBOR included), so that
// every field can also be made wrong on purpose.

import { decodeBase64urlIgnorePadding } from "@oslojs/encoding";
import { base64url as b64url } from "../../src/lib/crypto";

const encoder = new TextEncoder();

export { b64url };

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};

const sha256 = async (data: Uint8Array) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", data));

const uint32 = (value: number) => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
};

// --- CBOR (RFC 8949), the subset WebAuthn uses: integers, byte and text strings, arrays, maps.

type Cbor = number | string | Uint8Array | Cbor[] | Map<number | string, Cbor>;

function head(major: number, length: number): Uint8Array {
  if (length < 24) return Uint8Array.of((major << 5) | length);
  if (length < 0x100) return Uint8Array.of((major << 5) | 24, length);
  if (length < 0x10000) return Uint8Array.of((major << 5) | 25, length >> 8, length & 0xff);
  return concat(Uint8Array.of((major << 5) | 26), uint32(length));
}

export function cbor(value: Cbor): Uint8Array {
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === "string") {
    const bytes = encoder.encode(value);
    return concat(head(3, bytes.length), bytes);
  }
  if (value instanceof Uint8Array) return concat(head(2, value.length), value);
  if (Array.isArray(value)) return concat(head(4, value.length), ...value.map(cbor));
  return concat(
    head(5, value.size),
    ...[...value].flatMap(([key, item]) => [cbor(key), cbor(item)]),
  );
}

// --- DER: WebCrypto signs ECDSA as r || s; WebAuthn sends SEQUENCE { INTEGER r, INTEGER s }.

function derInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  let value = bytes.subarray(start);
  if ((value[0] ?? 0) >= 0x80) value = concat(Uint8Array.of(0), value);
  return concat(Uint8Array.of(0x02, value.length), value);
}

export function derSignature(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const body = concat(derInteger(raw.subarray(0, half)), derInteger(raw.subarray(half)));
  // A P-521 signature is longer than 127 bytes: DER's one-byte long form of its length.
  const length = body.length < 0x80 ? Uint8Array.of(body.length) : Uint8Array.of(0x81, body.length);
  return concat(Uint8Array.of(0x30), length, body);
}

/** An ECDSA P-256 signature, as WebCrypto makes it (r || s). */
const sign = async (key: CryptoKey, data: Uint8Array) =>
  new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, data));

// --- Authenticator data flags (WebAuthn §6.1).
export const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;

type StoredCredential = {
  id: Uint8Array;
  keys: CryptoKeyPair;
  userHandle: string;
  counter: number;
};

/** Where a test makes a ceremony go wrong: any field the real thing would fill in. */
export type Tamper = {
  origin?: string;
  rpId?: string;
  type?: string;
  challenge?: string;
  flags?: number;
  /** The signature counter to report (an assertion's; a registration's is 0). */
  counter?: number;
  /** The credential to answer with, instead of the one the options name or the last one made. */
  credential?: StoredCredential;
  /** Sign with another key than the credential's. */
  signingKey?: CryptoKey;
  userHandle?: string | null;
  fmt?: "none" | "packed";
};

type CreationOptions = { challenge: string; user: { id: string }; rp: { id?: string } };
type RequestOptions = { challenge: string; allowCredentials?: { id: string }[] };

/**
 * A platform authenticator with user verification, holding discoverable credentials, reached
 * through a browser at `origin` (what the test configuration lists in WEBAUTHN_ORIGINS).
 */
export class SoftAuthenticator {
  readonly credentials: StoredCredential[] = [];

  constructor(readonly origin = "http://localhost:8787") {}

  private clientData(type: string, challenge: string, tamper: Tamper) {
    return encoder.encode(
      JSON.stringify({
        type: tamper.type ?? type,
        challenge: tamper.challenge ?? challenge,
        origin: tamper.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
  }

  /** navigator.credentials.create(): a new P-256 credential, attested with "none". */
  async create(options: CreationOptions, tamper: Tamper = {}) {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const jwk = (await crypto.subtle.exportKey("jwk", keys.publicKey)) as JsonWebKey;
    const coseKey = cbor(
      new Map<number, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, decodeBase64urlIgnorePadding(jwk.x ?? "")],
        [-3, decodeBase64urlIgnorePadding(jwk.y ?? "")],
      ]),
    );
    const credential: StoredCredential = {
      id: crypto.getRandomValues(new Uint8Array(16)),
      keys,
      userHandle: options.user.id,
      counter: 0,
    };
    const rpIdHash = await sha256(encoder.encode(tamper.rpId ?? options.rp.id ?? "localhost"));
    const flags = tamper.flags ?? FLAGS.UP | FLAGS.UV | FLAGS.AT;
    const authData = concat(
      rpIdHash,
      Uint8Array.of(flags),
      uint32(0),
      new Uint8Array(16), // AAGUID: none given, as with "none" attestation
      Uint8Array.of(credential.id.length >> 8, credential.id.length & 0xff),
      credential.id,
      coseKey,
    );
    const clientDataJSON = this.clientData("webauthn.create", options.challenge, tamper);
    let attStmt = new Map<string, Cbor>();
    if (tamper.fmt === "packed") {
      // Self attestation: signed by the credential's own key.
      const signed = concat(authData, await sha256(clientDataJSON));
      const raw = await sign(keys.privateKey, signed);
      attStmt = new Map<string, Cbor>([
        ["alg", -7],
        ["sig", derSignature(raw)],
      ]);
    }
    const attestationObject = cbor(
      new Map<string, Cbor>([
        ["fmt", tamper.fmt ?? "none"],
        ["attStmt", attStmt],
        ["authData", authData],
      ]),
    );
    this.credentials.push(credential);
    const id = b64url(credential.id);
    return {
      id,
      rawId: id,
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ["internal", "hybrid"],
      },
      authenticatorAttachment: "platform",
      clientExtensionResults: { credProps: { rk: true } },
    };
  }

  /**
   * navigator.credentials.get(): an assertion by the credential the options allow (for a
   * usernameless login, the newest one held), its counter moved forward by one.
   */
  async get(options: RequestOptions, tamper: Tamper = {}) {
    const allowed = options.allowCredentials?.map((descriptor) => descriptor.id);
    const credential =
      tamper.credential ??
      [...this.credentials]
        .reverse()
        .find((held) => !allowed?.length || allowed.includes(b64url(held.id)));
    if (!credential) throw new Error("the authenticator holds no credential the options allow");
    credential.counter += 1;
    const counter = tamper.counter ?? credential.counter;
    const authenticatorData = concat(
      await sha256(encoder.encode(tamper.rpId ?? "localhost")),
      Uint8Array.of(tamper.flags ?? FLAGS.UP | FLAGS.UV),
      uint32(counter),
    );
    const clientDataJSON = this.clientData("webauthn.get", options.challenge, tamper);
    const signed = concat(authenticatorData, await sha256(clientDataJSON));
    const raw = await sign(tamper.signingKey ?? credential.keys.privateKey, signed);
    const id = b64url(credential.id);
    const userHandle = tamper.userHandle === undefined ? credential.userHandle : tamper.userHandle;
    return {
      id,
      rawId: id,
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authenticatorData),
        signature: b64url(derSignature(raw)),
        ...(userHandle === null ? {} : { userHandle }),
      },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }
}
