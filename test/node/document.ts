// The OpenAPI document exactly as GET /openapi.json serves it, built in Node from the app itself
// (the standard validators and linters need Node, not workerd).
import { createApp } from "../../src/app";
import { LIMITER_NAMES } from "../../src/env";
import { EXAMPLE_SIGNING_KEYS } from "../../src/lib/signing-keys";

/** The least configuration the app starts with: local development, nothing is called. */
const bindings = {
  DATABASE_URL: "postgres://local@pglite/openapi",
  JWT_SECRET: "openapi-document-test-secret-0123456789",
  JWT_SIGNING_KEYS: JSON.stringify(EXAMPLE_SIGNING_KEYS),
  NEON_FETCH_ENDPOINT: "http://127.0.0.1:9/sql",
  MAIL_PROVIDER: "log",
  ...Object.fromEntries(LIMITER_NAMES.map((name) => [name, { limit: async () => ({}) }])),
};

// biome-ignore lint/suspicious/noExplicitAny: the tests walk a JSON document of every shape.
export type Json = any;

export async function openApiDocument(): Promise<Json> {
  const response = await createApp().request("/openapi.json", {}, bindings);
  if (response.status !== 200) throw new Error(`GET /openapi.json: ${response.status}`);
  return response.json();
}
