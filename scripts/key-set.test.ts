import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SigningKey, signingKeySetSchema } from "../src/lib/signing-keys.ts";
import { parseDevVars } from "./dev-vars.ts";
import {
  devVarsKeySet,
  ensureDevVarsKeySet,
  formatKeySet,
  generateKeySet,
  parseKeySet,
  retireKeySet,
  rotateKeySet,
  writeDevVarsKeySet,
} from "./key-set.ts";

const statuses = (keys: { kid: string; status: string }[]) =>
  keys.map((key) => `${key.kid}:${key.status}`);

describe("npm run keys: the steps of a rotation", () => {
  it("generate makes a valid set with one current key, ES256 unless told EdDSA", async () => {
    const [es] = (await generateKeySet()) as [SigningKey];
    expect(es).toMatchObject({ status: "current", alg: "ES256", kty: "EC", crv: "P-256" });
    const [ed] = (await generateKeySet("EdDSA")) as [SigningKey];
    expect(ed).toMatchObject({ status: "current", alg: "EdDSA", kty: "OKP", crv: "Ed25519" });
    expect(signingKeySetSchema.parse(formatKeySet([es, { ...ed, status: "next" }]))).toHaveLength(
      2,
    );
  });

  it("rotate publishes a next key first, then switches to it; retire drops the previous key", async () => {
    const start = await generateKeySet();
    const [first] = start;
    const published = await rotateKeySet(start);
    expect(published.step).toBe("published");
    const second = published.keys[1] as SigningKey;
    expect(statuses(published.keys)).toEqual([`${first?.kid}:current`, `${second.kid}:next`]);
    const switched = await rotateKeySet(published.keys);
    expect(switched.step).toBe("switched");
    expect(statuses(switched.keys)).toEqual([`${first?.kid}:previous`, `${second.kid}:current`]);
    expect(statuses(retireKeySet(switched.keys))).toEqual([`${second.kid}:current`]);
    // Every step is a valid value of the Worker's own schema.
    for (const keys of [published.keys, switched.keys]) parseKeySet(formatKeySet(keys));
  });

  it("rotate to another algorithm, and retire with nothing to retire, say so", async () => {
    const published = await rotateKeySet(await generateKeySet(), "EdDSA");
    expect(published.keys[1]?.alg).toBe("EdDSA");
    expect(() => retireKeySet(published.keys)).toThrow(/no previous key/);
  });

  it("refuses a value that is not a key set, without quoting it", () => {
    expect(() => parseKeySet('[{"kid":"a","d":"top-secret"}]')).toThrow(/not a valid/);
    expect(() => parseKeySet('[{"kid":"a","d":"top-secret"}]')).not.toThrow(/top-secret/);
  });
});

describe("the key set in .dev.vars", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "keys-test-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is added once when missing, read back as wrangler reads it, and replaced in place", async () => {
    const file = join(dir, ".dev.vars");
    await writeFile(file, "JWT_SECRET=abc\n# JWT_SIGNING_KEYS='[...]'\nMAIL_PROVIDER=log");
    expect(await ensureDevVarsKeySet(file)).toBe(true);
    const first = await devVarsKeySet(file);
    expect(first).toHaveLength(1);
    expect(await ensureDevVarsKeySet(file)).toBe(false);
    const { keys } = await rotateKeySet(first as SigningKey[]);
    await writeDevVarsKeySet(file, keys);
    const text = await readFile(file, "utf8");
    expect(text.match(/^JWT_SIGNING_KEYS=/gm)).toHaveLength(1);
    expect(await devVarsKeySet(file)).toEqual(keys);
    expect(parseDevVars(text)).toMatchObject({ JWT_SECRET: "abc", MAIL_PROVIDER: "log" });
  });

  it("the command line rotates a value piped in and prints only the new value", async () => {
    const keys = await generateKeySet();
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", resolve(import.meta.dirname, "keys.ts"), "rotate"],
      { input: formatKeySet(keys), encoding: "utf8" },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(statuses(parseKeySet(result.stdout))).toEqual([
      `${keys[0]?.kid}:current`,
      expect.stringMatching(/:next$/),
    ]);
    expect(result.stderr).toContain("wait 10 minutes");
  });
});
