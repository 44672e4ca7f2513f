// Stands in for the parts of @simplewebauthn/server this API never uses (scripts/webauthn-trim.ts).
// Registration asks for no attestation (`attestationType: "none"`, which browsers honour by sending
// the "none" format), so the verifiers of certificate chains (packed, TPM, Android, Apple, FIDO
// U2F), the FIDO metadata service and their X.509 and ASN.1 libraries are left out of the Worker.
// A response in one of those formats is refused like any other that fails verification.

const unsupported = async (): Promise<never> => {
  throw new Error("Attestation formats other than none are not accepted");
};

export const verifyAttestationFIDOU2F = unsupported;
export const verifyAttestationPacked = unsupported;
export const verifyAttestationAndroidSafetyNet = unsupported;
export const verifyAttestationAndroidKey = unsupported;
export const verifyAttestationTPM = unsupported;
export const verifyAttestationApple = unsupported;

/** Only an attestation certificate's key would need converting; none is ever checked. */
export function convertX509PublicKeyToCOSE(): never {
  throw new Error("X.509 public keys are not used");
}

/** No root certificates (nothing is checked against them), and no post-quantum algorithms. */
export const SettingsService = {
  runtimeSupportsPQC: () => false,
  getRootCertificates: () => [] as string[],
  setRootCertificates: () => undefined,
};

export const MetadataService = {
  initialize: async () => undefined,
  getStatement: async () => undefined,
};
