// The custom spans (lib/tracing.ts) through the real Worker, with a recording stand-in for the
// runtime's ExecutionContext.tracing (workerd exports no traces locally): which spans a request
// opens, with which attributes, and that none of them holds a secret, an email, a token or an id.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { PASSWORD, registerUser, signUp } from "./helpers/factories";
import { randomIp, testEnv } from "./helpers/worker";

type Recorded = { name: string; attributes: Record<string, unknown> };

/** A stand-in for ExecutionContext.tracing that records each span; `traced` samples the request. */
function recordingTracing(traced = true) {
  const spans: Recorded[] = [];
  const tracing = {
    getActiveSpan: () => ({ isTraced: traced }),
    enterSpan<T>(name: string, work: (span: unknown) => T): T {
      const recorded: Recorded = { name, attributes: {} };
      spans.push(recorded);
      const span = {
        isTraced: true,
        setAttributes(attributes: Record<string, unknown>) {
          Object.assign(recorded.attributes, attributes);
          return span;
        },
      };
      return work(span);
    },
  };
  return { spans, tracing };
}

/** Runs one request with a tracing stand-in (tracing it or not), and answers the spans it opened. */
async function traced(
  path: string,
  init: RequestInit & { token?: string; sampled?: boolean } = {},
) {
  const { spans, tracing } = recordingTracing(init.sampled ?? true);
  const ctx = createExecutionContext();
  Object.defineProperty(ctx, "tracing", { value: tracing });
  const headers = new Headers(init.headers);
  headers.set("CF-Connecting-IP", randomIp());
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  if (init.body) headers.set("Content-Type", "application/json");
  const response = await worker.fetch(
    new Request(`http://localhost${path}`, { ...init, headers }),
    testEnv,
    ctx,
  );
  await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return { status: response.status, spans };
}

function expectNoSecretIn(spans: Recorded[], secrets: string[]) {
  const text = JSON.stringify(spans);
  for (const secret of [...secrets, String(testEnv.RESEND_API_KEY), String(testEnv.DATABASE_URL)]) {
    expect(text.includes(secret), text).toBe(false);
  }
  expect(text).not.toMatch(/@|eyJ|postgres:/);
}

describe("custom spans", () => {
  it("wrap every database round trip of a request in db.query, numbered, with its status", async () => {
    const user = await signUp();
    const { status, spans } = await traced(`/users/${user.id}`, { token: user.token });
    expect(status).toBe(200);
    expect(spans).toEqual([
      {
        name: "db.query",
        attributes: {
          "db.system.name": "postgresql",
          "db.round_trip": 1,
          "http.response.status_code": 200,
        },
      },
    ]);
    expectNoSecretIn(spans, [user.id, user.token]);
  });

  it("are not opened at all in a request the runtime does not trace", async () => {
    const user = await signUp();
    const { status, spans } = await traced(`/users/${user.id}`, {
      token: user.token,
      sampled: false,
    });
    expect(status).toBe(200);
    expect(spans).toEqual([]);
  });

  it("count a login's two round trips, and wrap the mail provider's call in mail.send", async () => {
    const user = await registerUser();
    const login = await traced("/auth/login", {
      method: "POST",
      body: JSON.stringify({ email: user.email, password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    expect(login.spans.map((span) => [span.name, span.attributes["db.round_trip"]])).toEqual([
      ["db.query", 1],
      ["db.query", 2],
    ]);
    const forgot = await traced("/auth/forgot-password", {
      method: "POST",
      body: JSON.stringify({ email: user.email }),
    });
    expect(forgot.status).toBe(202);
    expect(forgot.spans.find((span) => span.name === "mail.send")).toEqual({
      name: "mail.send",
      attributes: {
        "mail.provider": "resend",
        "http.response.status_code": 200,
        "error.type": undefined,
      },
    });
    expectNoSecretIn([...login.spans, ...forgot.spans], [user.id, user.email, PASSWORD]);
  });

  it("record a database that cannot be reached as a db.query without a status", async () => {
    const env = { ...testEnv, NEON_FETCH_ENDPOINT: "http://127.0.0.1:9/sql" };
    const { spans, tracing } = recordingTracing();
    const ctx = createExecutionContext();
    Object.defineProperty(ctx, "tracing", { value: tracing });
    const response = await worker.fetch(new Request("http://localhost/health/ready"), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(503);
    expect(spans[0]).toMatchObject({
      name: "db.query",
      attributes: { "http.response.status_code": 0 },
    });
  });
});
