// What the Worker takes of @simplewebauthn/server: everything that registration without
// attestation and signature checks need, and nothing of certificate chains. Its attestation
// verifiers (packed, TPM, Android, Apple, FIDO U2F), its metadata and settings services (root
// certificates) and its X.509 key conversion are replaced by scripts/webauthn-attestation-stub.ts,
// and two modules that import the whole helpers barrel (and through it the X.509 libraries) for
// one base64url function get the small barrel that has it. Shared by the Worker's bundler
// (build-worker.ts) and the tests' Vite config, so the tests run exactly what deploys ship.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const STUB = join(here, "webauthn-attestation-stub.ts");
const ECDSA_SIGNATURE = join(here, "..", "src", "lib", "ecdsa-signature.ts");

const STUBBED = [
  /\/verifications\/verifyAttestation\w+\.js$/,
  /\/verifications\/tpm\/verifyAttestationTPM\.js$/,
  /\/services\/metadataService\.js$/,
  /\/services\/settingsService\.js$/,
  /\/convertX509PublicKeyToCOSE\.js$/,
];

/**
 * The file to load instead when `specifier`, imported by `importer`, is one of the modules the
 * Worker leaves out; undefined for every other import.
 */
export function webauthnRedirect(specifier: string, importer: string | undefined) {
  if (!importer?.includes("@simplewebauthn/server/")) return undefined;
  if (STUBBED.some((pattern) => pattern.test(specifier))) return STUB;
  if (specifier === "./unwrapEC2Signature.js") return ECDSA_SIGNATURE;
  // helpers/iso/isoCrypto/verifyOKP.js and verifyAKP.js: `isoBase64URL` from helpers/iso/index.js.
  if (/\/isoCrypto\/verify(OKP|AKP)\.js$/.test(importer) && specifier === "../../index.js") {
    return join(dirname(importer), "..", "index.js");
  }
  return undefined;
}
