// The whole OpenAPI document against the standard tools: the OpenAPI 3.1 schema validator and
// Redocly's linter with its strict recommended rules, plus what Swagger UI users need.
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { Validator } from "@seriousme/openapi-schema-validator";
import { beforeAll, describe, expect, it } from "vitest";
import { PROBLEMS } from "../../src/lib/problems";
import { type Json, openApiDocument } from "./document";

let document: Json;
beforeAll(async () => {
  document = await openApiDocument();
});

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

function operations(): [string, Json][] {
  return Object.entries(document.paths as Record<string, Json>).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method): [string, Json] => [
      `${method.toUpperCase()} ${path}`,
      item[method],
    ]),
  );
}

/** Every value under `key` anywhere in the document, with where it is. */
function collect(node: Json, key: string, at = "#"): [string, Json][] {
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([name, value]) => [
    ...(name === key ? [[`${at}/${name}`, value] as [string, Json]] : []),
    ...collect(value, key, `${at}/${name}`),
  ]);
}

describe("GET /openapi.json", () => {
  it("is a valid OpenAPI 3.1 document (OpenAPI's own JSON Schema)", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("passes Redocly's lint with the strict recommended rules and no problem at all", async () => {
    // Liveness, readiness, the links of GET / and the JWKS answer no client error: nothing to
    // document.
    const noClientErrors = ["/", "/health", "/health/ready", "/.well-known/jwks.json"].map(
      (path) => `#/paths/${path.replaceAll("/", "~1")}/get/responses`,
    );
    const ignore = { "openapi.json": { "operation-4xx-response": new Set(noClientErrors) } };
    const config = await createConfig(
      {
        extends: ["recommended-strict"],
        rules: {
          "operation-description": "error",
          "tag-description": "error",
          "no-invalid-schema-examples": "error",
          "no-invalid-parameter-examples": "error",
        },
      },
      { ignore },
    );
    const problems = await lintFromString({
      source: JSON.stringify(document),
      absoluteRef: "openapi.json",
      config,
    });
    const shown = problems
      .filter((p) => !p.ignored)
      .map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(shown).toEqual([]);
  });

  it("names its license, a contact and its server: the origin that serves it", () => {
    expect(document.info.license).toEqual({ name: "MIT", identifier: "MIT" });
    expect(document.info.contact.name).toBeTruthy();
    expect(document.servers).toEqual([{ url: "/", description: expect.any(String) }]);
  });

  it("publishes every pattern as a valid ECMA-262 pattern without flags", () => {
    const patterns = collect(document, "pattern");
    expect(patterns.length).toBeGreaterThan(5);
    for (const [where, pattern] of patterns) {
      expect(typeof pattern, where).toBe("string");
      expect(() => new RegExp(pattern), where).not.toThrow();
      expect(() => new RegExp(pattern, "u"), where).not.toThrow();
      expect(pattern, where).not.toMatch(/\/[dgimsuvy]*$/);
      expect(pattern, where).not.toContain("\\p{");
    }
  });

  it("gives every operation an operationId, a summary and a description", () => {
    const ids = new Set<string>();
    for (const [name, operation] of operations()) {
      expect(operation.operationId, name).toMatch(/^[a-z][A-Za-z]+$/);
      expect(ids.has(operation.operationId), `${name}: duplicate operationId`).toBe(false);
      ids.add(operation.operationId);
      expect(operation.summary?.length, name).toBeGreaterThan(5);
      expect(operation.description?.length, name).toBeGreaterThan(10);
    }
  });

  it("names every schema: no allOf, which Swagger UI shows as (any & object)", () => {
    expect(collect(document, "allOf")).toEqual([]);
    for (const [name, schema] of Object.entries<Json>(document.components.schemas)) {
      expect(schema.type, name).toBe("object");
    }
  });

  it("shows each error status with an example of every code it lists", () => {
    for (const [name, operation] of operations()) {
      for (const [status, response] of Object.entries(operation.responses as Json)) {
        if (Number(status) < 400) continue;
        const where = `${name} ${status}`;
        const content = (response as Json).content["application/problem+json"];
        expect(content.schema.$ref, where).toBe("#/components/schemas/Problem");
        const codes = Object.keys(content.examples);
        expect(codes.length, where).toBeGreaterThan(0);
        for (const code of codes) {
          expect((response as Json).description, where).toContain(`\`${code}\``);
          expect(content.examples[code].value, where).toMatchObject({
            status: Number(status),
            code,
            detail: PROBLEMS[code as keyof typeof PROBLEMS].detail,
          });
        }
      }
    }
  });

  it("prefills nothing that makes a first try fail: no If-Match example, no reset email", () => {
    const ifMatch = operations().flatMap(([, operation]) =>
      (operation.parameters ?? []).filter((p: Json) => p.name.toLowerCase() === "if-match"),
    );
    expect(ifMatch).toHaveLength(3);
    for (const parameter of ifMatch) {
      expect(parameter.example).toBeUndefined();
      expect(parameter.schema.example).toBeUndefined();
      expect(parameter.examples).toBeUndefined();
    }
    const reset = document.components.schemas.ResetPasswordRequest;
    expect(Object.keys(reset.example)).toEqual(["reset_token", "new_password"]);
    expect(document.components.schemas.LogoutRequest.example.refresh_token).toMatch(
      /^[A-Za-z0-9_-]{43}$/,
    );
  });

  it("documents an empty update as refused: minProperties and current_password with email", () => {
    expect(document.components.schemas.UserUpdate).toMatchObject({
      minProperties: 1,
      additionalProperties: false,
      dependentRequired: { current_password: ["email"] },
    });
  });
});
