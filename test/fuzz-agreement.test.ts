// The second property of the fuzzing (test/fuzz.test.ts has the first): requests the document
// calls valid are not refused for schema reasons and ones it calls invalid are not accepted,
// except for the known mismatches of issue 10, which are counted in the summary.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { illFormedPath } from "../src/lib/unicode";
import {
  admin,
  countKnown,
  doc,
  type FuzzRequest,
  fuzzSession,
  recorded,
  restoreActors,
  runs,
  SEED,
  send,
  summary,
  timeout,
  tokenFor,
} from "./helpers/fuzz-session";
import {
  invalidBody,
  type KnownMismatch,
  type Operation,
  type Schema,
  validValue,
} from "./helpers/openapi-fuzz";
import { type CallResult, call } from "./helpers/worker";

fuzzSession("agreement");

/**
 * The known mismatches of issue 10 that explain a refusal of a document-valid body, or undefined
 * when some refused field is not explained by one.
 */
function knownRefusals(op: Operation, body: Record<string, unknown>, res: CallResult) {
  const paths: string[] = (res.json?.errors ?? []).map((e: { path: string }) => e.path);
  const reasonFor = (path: string): KnownMismatch | undefined => {
    const value = body[path];
    if (op.path.startsWith("/users") && ["(body)", "current_password"].includes(path)) {
      return "updateRules";
    }
    if (path === "email") return "email";
    if (op.path.startsWith("/auth/mfa") && ["code", "recovery_code"].includes(path)) {
      return "mfaFactor";
    }
    if (typeof value !== "string") return undefined;
    if (value.length !== [...value].length) return "utf16Length";
    if (value.trim() === "") return "trimmedNames";
    return undefined;
  };
  const reasons = paths.map(reasonFor);
  if (reasons.length === 0 || reasons.includes(undefined)) return undefined;
  return reasons as KnownMismatch[];
}

/** Whether acceptance of a document-invalid body is one of the known mismatches of issue 10. */
function knownAcceptance(errors: { keyword: string; instancePath: string }[], body: unknown) {
  const lengthOnly = errors.every((e) => {
    if (e.keyword !== "minLength" && e.keyword !== "maxLength") return false;
    const value = (body as Record<string, unknown>)[e.instancePath.slice(1)];
    return typeof value === "string" && value.length !== [...value].length;
  });
  return errors.length > 0 && lengthOnly ? ("utf16Length" as const) : undefined;
}

describe("the document and the server agree", () => {
  const bodyOps = () => doc.operations.filter((op) => op.body && !op.path.includes("{id}"));

  it(
    "requests valid per the document are not refused for schema reasons, and invalid ones are not accepted",
    async () => {
      await recorded(
        fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...bodyOps()).chain((op) =>
              fc.record({
                op: fc.constant(op),
                valid: fc.boolean(),
                value: fc
                  .boolean()
                  .chain((v) =>
                    v
                      ? validValue(op.body as Schema, doc.resolve, { rfcEmails: true })
                      : invalidBody(op.body as Schema, doc.resolve),
                  ),
              }),
            ),
            async ({ op, value }) => {
              const documentValid =
                doc.validate(op.body as Schema, value).ok && illFormedPath(value) === undefined;
              const request: FuzzRequest = {
                op,
                actor: "user",
                credentials: "token",
                query: "",
                headers: {},
                body: { kind: "json", value },
                contentType: "application/json",
              };
              const res = await send(request, await tokenFor(request));
              expect(res.status, res.text).toBeLessThan(500);
              const code = res.json?.code;
              const schemaRefusal =
                (res.status === 422 && code === "validation_failed") ||
                (res.status === 400 && code === "malformed_json") ||
                res.status === 415;
              if (documentValid && schemaRefusal) {
                const known = knownRefusals(op, value as Record<string, unknown>, res);
                expect(
                  known,
                  `${op.key} refused a valid body ${JSON.stringify(value)}: ${res.text}`,
                ).toBeDefined();
                for (const reason of known ?? []) countKnown(reason);
              }
              if (!documentValid && res.status < 400) {
                const known = knownAcceptance(doc.validate(op.body as Schema, value).errors, value);
                expect(
                  known,
                  `${op.key} accepted an invalid body ${JSON.stringify(value)}`,
                ).toBeDefined();
                countKnown(known as KnownMismatch);
              }
              if (res.status < 300) await restoreActors();
            },
          ),
          { numRuns: runs(0.3), seed: SEED, endOnFailure: true },
        ),
      );
    },
    timeout,
  );

  it(
    "ids valid per the document's format: uuid are not refused for their form",
    async () => {
      await recorded(
        fc.assert(
          fc.asyncProperty(fc.uuid(), async (id) => {
            const res = await call(`/users/${id}`, { token: admin.token });
            summary.requests++;
            if (res.status === 422) countKnown("uuid");
            else expect(res.status, res.text).toBe(404);
          }),
          { numRuns: runs(0.05), seed: SEED },
        ),
      );
    },
    timeout,
  );
});
