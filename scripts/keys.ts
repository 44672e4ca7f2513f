// `npm run keys -- generate|rotate|retire [--alg ES256|EdDSA] [--file PATH | --dev-vars]`: makes
// or edits a JWT_SIGNING_KEYS value. With --file or --dev-vars the set is read from and written
// back to that file; otherwise `rotate` and `retire` read it from standard input, and the new
// value goes to standard output (messages go to standard error), ready for `wrangler secret put`.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  type SigningKey,
} from "../src/lib/signing-keys.ts";
import {
  devVarsKeySet,
  formatKeySet,
  generateKeySet,
  parseKeySet,
  retireKeySet,
  rotateKeySet,
  writeDevVarsKeySet,
} from "./key-set.ts";

const USAGE = `Usage: npm run keys -- <command> [--alg ES256|EdDSA] [--file PATH | --dev-vars]

  generate  a new key set with one key (ES256 unless --alg EdDSA)
  rotate    without a next key: add one (publish it, then wait 10 minutes);
            with one: it signs from now on, the current key becomes previous
  retire    drop the previous keys (once ACCESS_TOKEN_TTL has passed since rotate)

  --file PATH  read the set from PATH and write it back (generate creates PATH)
  --dev-vars   the same with .dev.vars' JWT_SIGNING_KEYS
  otherwise rotate and retire read the set from standard input, and every command prints the
  new JWT_SIGNING_KEYS value, e.g.
    npm run --silent keys -- rotate < keys.json > keys.next.json
    npx wrangler secret put JWT_SIGNING_KEYS < keys.next.json`;

const NEXT_STEPS = {
  generate: "Store it as the JWT_SIGNING_KEYS secret (npx wrangler secret put JWT_SIGNING_KEYS).",
  published:
    "Added a next key. Deploy the set, wait 10 minutes (the JWKS cache time), then run rotate again.",
  switched:
    "The next key now signs; the old one is previous. Deploy the set, wait ACCESS_TOKEN_TTL (15 minutes by default), then run retire.",
  retire: "Dropped the previous keys; their tokens no longer verify. Deploy the set.",
};

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new Error(
      "pipe the current JWT_SIGNING_KEYS value in, or name it with --file or --dev-vars",
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

type Store = {
  read: () => Promise<SigningKey[]>;
  write: (keys: SigningKey[]) => Promise<void>;
  exists: () => boolean;
};

function storeOf(options: { file?: string; "dev-vars"?: boolean }): Store {
  if (options.file && options["dev-vars"]) throw new Error("give --file or --dev-vars, not both");
  if (options["dev-vars"]) {
    const file = resolve(import.meta.dirname, "..", ".dev.vars");
    return {
      exists: () => false,
      read: async () => {
        const keys = existsSync(file) ? await devVarsKeySet(file) : undefined;
        if (!keys) throw new Error(".dev.vars has no JWT_SIGNING_KEYS (npm run dev creates one)");
        return keys;
      },
      write: async (keys) => {
        if (!existsSync(file)) throw new Error("there is no .dev.vars (npm run dev creates it)");
        await writeDevVarsKeySet(file, keys);
      },
    };
  }
  if (options.file) {
    const file = options.file;
    return {
      exists: () => existsSync(file),
      read: async () => parseKeySet(await readFile(file, "utf8")),
      write: (keys) => writeFile(file, `${formatKeySet(keys)}\n`, { mode: 0o600 }),
    };
  }
  return {
    exists: () => false,
    read: async () => parseKeySet(await readStdin()),
    write: async (keys) => {
      process.stdout.write(`${formatKeySet(keys)}\n`);
    },
  };
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      alg: { type: "string" },
      file: { type: "string" },
      "dev-vars": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...extra] = positionals;
  if (values.help || !command || extra.length > 0) {
    console.error(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const alg = values.alg as SigningAlgorithm | undefined;
  if (alg !== undefined && !SIGNING_ALGORITHMS.includes(alg)) {
    throw new Error(`--alg must be ${SIGNING_ALGORITHMS.join(" or ")}`);
  }
  const store = storeOf(values);
  if (command === "generate") {
    // A file that exists holds keys whose tokens may be live: never replace it unasked.
    if (store.exists()) throw new Error(`${values.file} exists; rotate it instead`);
    await store.write(await generateKeySet(alg));
    console.error(NEXT_STEPS.generate);
  } else if (command === "rotate") {
    const rotation = await rotateKeySet(await store.read(), alg);
    await store.write(rotation.keys);
    console.error(NEXT_STEPS[rotation.step]);
  } else if (command === "retire") {
    await store.write(retireKeySet(await store.read()));
    console.error(NEXT_STEPS.retire);
  } else {
    console.error(`Unknown command ${command}.\n\n${USAGE}`);
    process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`keys: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
