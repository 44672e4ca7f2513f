// Input that is hostile rather than merely wrong: text that is not valid Unicode, headers with
// thousands of list members, bodies far over the limit. Each gets a clear 4xx, nothing is
// repaired on the way in, and nothing is stored.
import { describe, expect, it } from "vitest";
import { registration, signUp } from "./helpers/factories";
import { etagOf, listUsers, updateUser } from "./helpers/users";
import { call, expectProblem } from "./helpers/worker";

const LONE_HIGH = "\ud800";
const LONE_LOW = "\udc00";

/** A request body as raw bytes, exactly as given. */
function postBytes(path: string, bytes: Uint8Array, token?: string) {
  return call(path, {
    method: "POST",
    rawBody: bytes,
    headers: { "Content-Type": "application/json" },
    token,
  });
}

describe("invalid Unicode is a 422, never stored as U+FFFD", () => {
  it.each([
    ["a lone high surrogate", `Ann${LONE_HIGH}`],
    ["a lone low surrogate", `${LONE_LOW}Ann`],
    ["a reversed pair", `${LONE_LOW}${LONE_HIGH}`],
  ])("POST /auth/register refuses %s in first_name, naming the field", async (_label, name) => {
    // JSON.stringify writes lone surrogates as \u escapes: well-formed JSON, ill-formed text.
    const body = registration({ first_name: name });
    const res = await call("/auth/register", { body });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors).toEqual([{ path: "first_name", message: expect.any(String) }]);
    const login = await call("/auth/login", {
      body: { email: body.email, password: body.password },
    });
    expectProblem(login, 401, "invalid_credentials");
  });

  it("POST /auth/register accepts a well-formed pair (an emoji) and stores it as sent", async () => {
    const res = await call("/auth/register", { body: registration({ first_name: "Ann 🦊" }) });
    expect(res.status, res.text).toBe(201);
    expect(res.json.user.first_name).toBe("Ann 🦊");
  });

  it("PATCH /users/me refuses a lone surrogate and leaves the user as it was", async () => {
    const user = await signUp();
    const res = await updateUser(user.token, "me", { last_name: `X${LONE_HIGH}` });
    expectProblem(res, 422, "validation_failed");
    const mine = await call("/users/me", { token: user.token });
    expect(mine.json.last_name).toBe("User");
  });

  it("refuses a lone surrogate in a field name", async () => {
    const res = await call("/auth/login", {
      body: { email: "a@example.test", password: "x", [`k${LONE_HIGH}`]: 1 },
    });
    expectProblem(res, 422, "validation_failed");
  });

  it.each([
    ["a Latin-1 byte", [0xe9]],
    ["a truncated sequence", [0xe2, 0x82]],
    ["an encoded surrogate", [0xed, 0xa0, 0x80]],
    ["an overlong encoding", [0xc0, 0xaf]],
  ])("POST /auth/register refuses %s in the body with 422 (body)", async (_label, bad) => {
    const body = registration({ first_name: "MARK" });
    const json = new TextEncoder().encode(JSON.stringify(body));
    const text = new TextDecoder().decode(json);
    const at = text.indexOf("MARK");
    const bytes = new Uint8Array([...json.slice(0, at), ...bad, ...json.slice(at + 4)]);
    const problem = expectProblem(
      await postBytes("/auth/register", bytes),
      422,
      "validation_failed",
    );
    expect(problem.errors).toEqual([{ path: "(body)", message: expect.any(String) }]);
  });

  it.each([
    ["%FF", "a byte that is not UTF-8"],
    ["%ED%A0%80", "an encoded surrogate"],
    ["100%", "a bare percent sign"],
  ])("GET /users?q=%s (%s) is a 422 naming the query parameter", async (q) => {
    const admin = await signUp({ admin: true });
    const res = await listUsers(admin.token, `q=${q}`);
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors).toEqual([{ path: "query.q", message: expect.any(String) }]);
  });

  it("GET /users?q= with percent-encoded UTF-8 searches for the decoded text", async () => {
    const admin = await signUp({ admin: true });
    const res = await listUsers(admin.token, `q=${encodeURIComponent("Zoë 🦊")}`);
    expect(res.status, res.text).toBe(200);
  });
});

describe("If-Match lists are capped at 20 entity tags", () => {
  it("accepts 20 tags of which one is current", async () => {
    const user = await signUp();
    const current = await etagOf(user.token, "me");
    const tags = [...Array.from({ length: 19 }, (_, i) => `"${900_000 + i}"`), current];
    const res = await updateUser(
      user.token,
      "me",
      { first_name: "Twenty" },
      { ifMatch: tags.join(", ") },
    );
    expect(res.status, res.text).toBe(200);
  });

  it.each([21, 1000, 65_535])("refuses %i tags with 422 naming the header", async (count) => {
    const user = await signUp();
    const current = await etagOf(user.token, "me");
    const ifMatch = Array.from({ length: count }, () => current).join(",");
    const res = await updateUser(user.token, "me", { first_name: "Many" }, { ifMatch });
    const problem = expectProblem(res, 422, "validation_failed");
    expect(problem.errors?.[0]?.path).toBe("header.if-match");
    const mine = await call("/users/me", { token: user.token });
    expect(mine.json.first_name).toBe("Test");
  });
});

describe("bodies over 64 KiB", () => {
  /** A streamed body (no Content-Length) that counts how much of it was read. */
  function countedBody(bytes: number) {
    const chunk = new Uint8Array(16 * 1024).fill(0x20);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= bytes) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    return { stream, sent: () => sent };
  }

  it.each([
    ["with a Content-Length", true],
    ["streamed without one", false],
  ])("are read to the end, %s, and answered 413", async (_label, declared) => {
    const size = 1024 * 1024;
    const body = countedBody(size);
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (declared) headers["Content-Length"] = String(size);
    const res = await call("/auth/register", {
      method: "POST",
      rawBody: body.stream,
      headers,
    });
    expectProblem(res, 413, "payload_too_large");
    // An answer while the client is still sending is what breaks kept-alive connections under
    // wrangler dev: the whole body was consumed first.
    expect(body.sent()).toBeGreaterThanOrEqual(size);
  });
});
