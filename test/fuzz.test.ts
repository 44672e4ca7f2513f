// Property-based fuzzing driven by the API's own /openapi.json. For every documented operation,
// fast-check makes valid and invalid requests (types, missing and extra fields, boundary lengths,
// Unicode edge cases, malformed JSON, content types, odd paths, queries and headers), as an
// admin, a user, nobody and with broken credentials, and checks what must hold for every answer:
// no 5xx; a status the document declares for the operation; every error a problem+json with the
// request id; 2xx bodies valid against the declared schema (ajv); no password hash and no other
// user's token in any response; an unauthorised call changes nothing in the database. A second
// property sends requests the document calls valid (none may be refused for schema reasons) and
// ones it calls invalid (none may be accepted).
//
// `npm test` runs a bounded number of requests; `npm run fuzz -- --requests N` runs more and
// writes a JSON summary (scripts/fuzz.ts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  admin,
  doc,
  expectInvariants,
  fuzzSession,
  recorded,
  requestArb,
  restoreActors,
  runs,
  SEED,
  send,
  snapshot,
  summary,
  timeout,
  tokenFor,
  unauthorised,
} from "./helpers/fuzz-session";
import { call } from "./helpers/worker";

fuzzSession("operations");

describe("every documented operation under fuzzed requests", () => {
  it(
    "answers no 5xx, only declared statuses, problem+json errors with request_id, valid 2xx bodies, no secrets, and unauthorised calls change nothing",
    async () => {
      await recorded(
        fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...doc.operations).chain((op) => requestArb(op)),
            async (request) => {
              const guarded = unauthorised(request);
              const token = await tokenFor(request);
              const before = guarded ? await snapshot() : undefined;
              const res = await send(request, token);
              expectInvariants(request, res);
              if (guarded) {
                summary.unauthorisedChecked++;
                expect(
                  res.status,
                  `${request.op.key} accepted an unauthorised call`,
                ).toBeGreaterThanOrEqual(400);
                expect(
                  await snapshot(),
                  `${request.op.key} changed data for an unauthorised call`,
                ).toBe(before);
              }
              if (res.status < 300 && request.op.method !== "GET") await restoreActors();
            },
          ),
          { numRuns: runs(0.6), seed: SEED, endOnFailure: true },
        ),
      );
    },
    timeout,
  );
});

describe("paths and methods the document does not have", () => {
  it(
    "answer a 404 (or 405) problem, never a 5xx",
    async () => {
      const paths = [
        "/",
        "/users/",
        "//users",
        "/users/me/",
        "/users/x/y",
        "/auth",
        "/auth/login/",
        "/AUTH/LOGIN",
        "/%2e%2e/etc/passwd",
        "/users/%00",
        `/${"a".repeat(5_000)}`,
        "/openapi.json/x",
        "/users/ünïcode",
      ];
      await recorded(
        fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...paths),
            fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE"),
            async (path, method) => {
              const res = await call(path, { method, token: admin.token });
              summary.requests++;
              expect(res.status, `${method} ${path}: ${res.text}`).toBeLessThan(500);
              if (res.status >= 400) {
                expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
                expect(res.json?.request_id).toBe(res.headers.get("x-request-id"));
              }
            },
          ),
          { numRuns: runs(0.05), seed: SEED },
        ),
      );
    },
    timeout,
  );
});
