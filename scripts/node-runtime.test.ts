// The Node 24 that `npm run dev` installs on an older Node: without npm 11's install-scripts
// warning about the `node` package's preinstall.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allowNodeInstallScript } from "./node-runtime.ts";

describe("the Node 24 install", () => {
  it("allows the node package's install script, quietly", async (context) => {
    const dir = await mkdtemp(join(tmpdir(), "node24-"));
    try {
      allowNodeInstallScript(dir);
      expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))).toEqual({
        private: true,
        allowScripts: { node: true },
      });
      // From npm's cache only: the test never downloads Node (skipped when it is not cached).
      const install = spawnSync(
        "npm",
        [
          "install",
          "--prefix",
          dir,
          "--no-save",
          "--no-audit",
          "--no-fund",
          "--offline",
          "node@24",
        ],
        { encoding: "utf8" },
      );
      if (install.status !== 0 && /ENOTCACHED/.test(install.stderr)) context.skip();
      expect(install.status, install.stderr).toBe(0);
      expect(install.stderr).not.toContain("install-scripts");
      expect(existsSync(join(dir, "node_modules", ".bin", "node"))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
