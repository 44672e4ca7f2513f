// The typed client outside this repository: `npm pack` ships the declarations of AppType as
// `user-management-api/client`, and a front end that installs the tarball type-checks its calls
// with them (no Workers types, the DOM's instead), and is refused a wrong one.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const tsc = join(root, "node_modules", ".bin", "tsc");
let frontEnd: string;
let packed: string[];

beforeAll(async () => {
  frontEnd = await mkdtemp(join(tmpdir(), "front-end-"));
  // `npm pack` runs prepack (npm run build:client) and lists what the tarball holds.
  const [pack] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", frontEnd], {
      cwd: root,
      encoding: "utf8",
    }),
  );
  packed = pack.files.map((file: { path: string }) => file.path);
  const installed = join(frontEnd, "node_modules", "user-management-api");
  await mkdir(installed, { recursive: true });
  execFileSync("tar", [
    "-xzf",
    join(frontEnd, pack.filename),
    "-C",
    installed,
    "--strip-components=1",
  ]);
  // What npm would install from the package's dependencies, taken from here (no network).
  await mkdir(join(frontEnd, "node_modules", "@hono"));
  for (const name of ["hono", "zod", "@hono/zod-openapi"]) {
    await symlink(join(root, "node_modules", name), join(frontEnd, "node_modules", name));
  }
  await writeFile(
    join(frontEnd, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "Bundler",
        lib: ["ES2023", "DOM"],
        types: [],
        strict: true,
        skipLibCheck: true,
        noEmit: true,
      },
      include: ["src"],
    }),
  );
  await mkdir(join(frontEnd, "src"));
}, 120_000);

afterAll(async () => {
  if (frontEnd) await rm(frontEnd, { recursive: true, force: true });
});

/** Type-checks one file of the front end; returns tsc's exit status and output. */
async function typeCheck(code: string) {
  await writeFile(join(frontEnd, "src", "api.ts"), code);
  const run = spawnSync(tsc, ["-p", frontEnd], { encoding: "utf8" });
  return { status: run.status, output: run.stdout + run.stderr };
}

const client = (login: string) => `import { hc } from "hono/client";
import type { AppType } from "user-management-api/client";

const api = hc<AppType>("http://127.0.0.1:8787");

export async function signIn(): Promise<string | undefined> {
  const login = await api.auth.login.$post({ json: ${login} });
  if (login.status !== 200) return undefined;
  const answer = await login.json();
  if ("mfa_required" in answer) return answer.mfa_token;
  const me = await api.users.me.$get({}, { headers: { Authorization: \`Bearer \${answer.access_token}\` } });
  return me.status === 200 ? (await me.json()).email : undefined;
}
`;

describe("the typed client in another repository", () => {
  it("is packed as declarations only, under the package's ./client export", () => {
    expect(packed).toContain("dist/client/client.d.ts");
    expect(packed).toContain("package.json");
    expect(
      packed.filter(
        (path) => !/^dist\/client\/.*\.d\.ts$|^package\.json$|^README\.md$|^LICENSE$/.test(path),
      ),
    ).toEqual([]);
  });

  it("type-checks a front end's calls", async () => {
    const result = await typeCheck(
      client(`{ email: "alice@example.com", password: "Violet-Lantern-Orbit-42" }`),
    );
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  it("refuses a call the API would refuse: the types are the routes', not any", async () => {
    const wrongType = await typeCheck(client(`{ email: "alice@example.com", password: 42 }`));
    expect(wrongType.status).not.toBe(0);
    expect(wrongType.output).toContain("Type 'number' is not assignable to type 'string'");
    const missing = await typeCheck(client(`{ email: "alice@example.com" }`));
    expect(missing.status).not.toBe(0);
    expect(missing.output).toContain("password");
  });
});
