// The document must accept exactly what the server accepts: each published field schema (run by
// Ajv, a standard JSON Schema 2020-12 validator, with its format checks on) against the zod schema
// the server validates with, over hand-picked edge cases and thousands of random strings.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { beforeAll, describe, expect, it } from "vitest";
import type { ZodType } from "zod";
import { ListUsersQuerySchema } from "../../src/routes/users/users.schemas";
import {
  emailSchema,
  nameSchema,
  passwordSchema,
  UserIdParamSchema,
  usernameSchema,
} from "../../src/schemas/user";
import { type Json, openApiDocument } from "./document";

let document: Json;
const ajv = new Ajv2020({ strict: false, validateFormats: true });
addFormats.default(ajv);

beforeAll(async () => {
  document = await openApiDocument();
});

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function randomStrings(alphabet: string[], count: number, maxLength: number, seed: number) {
  const next = random(seed);
  return Array.from({ length: count }, () => {
    const length = Math.floor(next() * (maxLength + 1));
    return Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
  });
}

/** Values where the published schema and the server disagree (should be none). */
function disagreements(published: Json, server: ZodType, values: unknown[]) {
  const validate = ajv.compile(published);
  return values
    .map((value) => ({
      value,
      document: validate(value),
      server: server.safeParse(value).success,
    }))
    .filter((result) => result.document !== result.server);
}

const property = (schema: string, name: string) =>
  document.components.schemas[schema].properties[name];

const parameter = (path: string, method: string, name: string) =>
  document.paths[path][method].parameters.find((p: Json) => p.name === name).schema;

const WHITESPACE = [" ", "\t", "\n", "\r", "\v", "\f", "\u00a0", "\u2028", "\u3000", "\ufeff"];
const CONTROL = ["\u0000", "\u0001", "\u001f", "\u007f", "\u0085", "\u009f"];
const TEXT = ["a", "Z", "é", "ß", "-", "'", ".", "😀", "𝔸", "\u200b", "\u00ad", "\ud800"];
/** What shows nothing on its own: zero-width, format and combining characters. */
const INVISIBLE = ["\u200b", "\u200d", "\u2060", "\u00ad", "\u0301", "\u20dd", "\ufe0f", "\u3164"];

describe("the published schema of each field accepts exactly what the server accepts", () => {
  it.each([
    ["RegisterRequest", "first_name"],
    ["RegisterRequest", "last_name"],
    ["UserUpdate", "first_name"],
  ])("%s.%s (trimmed names of 1-100 characters)", (schema, name) => {
    const edges = [
      "",
      " ",
      "   ",
      "Alice",
      "  Alice  ",
      "\tAlice\n",
      "Al\tice",
      "Al ice",
      "\u0000Alice",
      "Alice\u0000",
      " \u0000 ",
      "x".repeat(100),
      "x".repeat(101),
      ` ${"x".repeat(100)} `,
      "😀".repeat(100),
      "😀".repeat(101),
      `x${" ".repeat(98)}x`,
      `x${" ".repeat(99)}x`,
      "\u2028Alice\u2028",
      "A\u2028B",
      "\u0085Alice",
      "\u200b\u200b",
      "\u0301\u0302",
      " \u200d\u0301 ",
      "e\u0301",
      "\u200bAl",
      "\ud83d\ude00\u200b",
    ];
    const values = [
      ...edges,
      ...randomStrings([...WHITESPACE, ...INVISIBLE, ...TEXT], 3000, 6, 3),
      ...randomStrings([...WHITESPACE, ...CONTROL, ...TEXT], 3000, 8, 1),
      ...randomStrings([...WHITESPACE, ...TEXT, ...TEXT, ...TEXT], 500, 110, 2),
    ];
    expect(disagreements(property(schema, name), nameSchema, values)).toEqual([]);
  });

  it("the q query parameter of GET /users (trimmed, 1-100 characters)", () => {
    const values = [
      "",
      " alice ",
      "a\u0000",
      "x".repeat(101),
      ...randomStrings([...WHITESPACE, ...CONTROL, ...TEXT], 3000, 8, 3),
    ];
    const server = ListUsersQuerySchema.shape.q.unwrap();
    expect(disagreements(parameter("/users", "get", "q"), server, values)).toEqual([]);
  });

  it("email (format email and the server's pattern)", () => {
    const edges = [
      "a@b.c",
      "alice@example.com",
      "Alice.Liddell+tag@Example.COM",
      "o'brien@example.ie",
      "!#$%&'*+/=?^_`{|}~-@example.com",
      "first.last@sub.example.co.uk",
      "x@xn--p1ai.xn--p1ai",
      "x@1.2.3.4",
      ".alice@example.com",
      "alice.@example.com",
      "al..ice@example.com",
      "alice@localhost",
      "alice@-example.com",
      "alice@example-.com",
      "alice@example..com",
      "alice@.example.com",
      '"quoted"@example.com',
      "alice@[127.0.0.1]",
      "ålice@example.com",
      "alice@exämple.com",
      "alice example@example.com",
      "a@@example.com",
      "@example.com",
      "alice@",
      `${"a".repeat(64)}@example.com`,
      `${"a".repeat(65)}@example.com`,
      `a@${"b".repeat(63)}.com`,
      `a@${"b".repeat(64)}.com`,
      `a@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.${"e".repeat(57)}`,
      `a@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}.${"e".repeat(58)}`,
      "alice@example.com\n",
    ];
    const alphabet = ["a", "Z", "0", ".", "-", "@", "+", "_", "'", "!", " ", "é", "\u0000", "["];
    const values = [...edges, ...randomStrings(alphabet, 5000, 12, 4)];
    for (const schema of ["RegisterRequest", "LoginRequest", "UserUpdate"]) {
      expect(disagreements(property(schema, "email"), emailSchema, values)).toEqual([]);
    }
    // The format alone agrees too, for tools that check only `format: email`.
    const formatOnly = { type: "string", format: "email" };
    const valid = values.filter((value) => emailSchema.safeParse(value).success);
    expect(valid.length).toBeGreaterThan(10);
    expect(disagreements(formatOnly, emailSchema, valid)).toEqual([]);
  });

  it("username", () => {
    const values = [
      "ab",
      "abc",
      "a".repeat(32),
      "a".repeat(33),
      "al.ice_-9",
      "ålice",
      "bad name",
      ...randomStrings(["a", "Z", "9", ".", "_", "-", " ", "/", "é", "\n"], 3000, 35, 5),
    ];
    const published = property("RegisterRequest", "username");
    expect(disagreements(published, usernameSchema, values)).toEqual([]);
  });

  it("password, up to its byte limit: 8 to 72 characters are what the schema can say", () => {
    const values = [
      "1234567",
      "12345678",
      "🚀🐙🌵🎻",
      "🚀🐙🌵🎻🚀🐙🌵🎻",
      "x".repeat(72),
      "x".repeat(73),
    ];
    const published = property("RegisterRequest", "password");
    // The server takes more characters than 72 only to refuse them by their bytes (422
    // password_too_long): what the document allows is never more than the server accepts.
    const accepted = passwordSchema.refine((value) => new TextEncoder().encode(value).length <= 72);
    const differ = disagreements(published, accepted, values);
    expect(differ.every((result) => result.document && !result.server)).toBe(true);
    expect(differ.map((result) => result.value)).not.toContain("x".repeat(72));
  });

  it("the user id path parameter (format uuid and the server's pattern)", () => {
    const values = [
      "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70",
      "0193A4B2-7C1E-7D3A-9F10-2B3C4D5E6F70",
      "00000000-0000-0000-0000-000000000000",
      "ffffffff-ffff-ffff-ffff-ffffffffffff",
      "0193a4b2-7c1e-0d3a-0f10-2b3c4d5e6f70",
      "urn:uuid:0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70",
      "{0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70}",
      "0193a4b27c1e7d3a9f102b3c4d5e6f70",
      "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f7",
      "0193a4b2-7c1e-7d3a-9f10-2b3c4d5e6f70 ",
      "me",
      ...randomStrings(["0", "a", "F", "-", "g"], 2000, 36, 6).map((value) =>
        value.length === 36 ? value : `${value.padEnd(36, "0")}`,
      ),
    ];
    const published = parameter("/users/{id}", "get", "id");
    expect(disagreements(published, UserIdParamSchema.shape.id, values)).toEqual([]);
  });

  it.each([
    ["page", 1, 10_000],
    ["per_page", 1, 100],
  ] as const)(
    "the %s query parameter: every integer a client sends, by its range",
    (name, min, max) => {
      const published = parameter("/users", "get", name);
      const server = ListUsersQuerySchema.shape[name];
      const integers = [
        -1,
        0,
        1,
        2,
        19,
        20,
        99,
        100,
        101,
        9_999,
        10_000,
        10_001,
        1_000_000,
        2 ** 40,
      ];
      for (const n of integers) {
        const inRange = n >= min && n <= max;
        expect(ajv.validate(published, n), `${name}=${n}`).toBe(inRange);
        expect(server.safeParse(String(n)).success, `${name}=${n}`).toBe(inRange);
      }
      // What no client serialising an integer sends is refused, with the range in the message.
      for (const text of ["1e2", "0x10", " 5", "5 ", "+5", "1.0", "", "five"]) {
        const result = server.safeParse(text);
        expect(result.success, text).toBe(false);
        expect(result.error?.issues[0]?.message).toMatch(
          new RegExp(`^must be an integer from ${min} to ${max}($|, )`),
        );
      }
    },
  );

  it("the cursor query parameter: its shape, whatever its content", () => {
    const mac = "q0rvOEpVB4yaT1V2GZhlOx8vcJr4aTzwfm4Q2J0tVwU";
    const values = [
      `WyJlbmQiXQ.${mac}`,
      `a.${mac}`,
      `${"a".repeat(2004)}.${mac}`,
      `${"a".repeat(2005)}.${mac}`,
      `.${mac}`,
      `WyJlbmQiXQ.${mac}x`,
      `WyJlbmQiXQ.${mac.slice(1)}`,
      `WyJlbmQiXQ=.${mac}`,
      `Wy+lbmQiXQ.${mac}`,
      `WyJlbmQiXQ.${mac}.${mac}`,
      "",
      ...randomStrings(["a", "Z", "0", "-", "_", ".", "+", "="], 2000, 50, 7).map(
        (value) => `${value}.${mac}`,
      ),
    ];
    const published = parameter("/users", "get", "cursor");
    expect(disagreements(published, ListUsersQuerySchema.shape.cursor, values)).toEqual([]);
  });
});
