// Copies Swagger UI's browser files from the swagger-ui-dist package into the Worker's static
// assets, so /apidocs renders without any CDN and the files stay out of the Worker bundle.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
const target = join(root, "public", "apidocs", "assets", "swagger-ui-dist");
const files = [
  "swagger-ui-bundle.js",
  "swagger-ui.css",
  "favicon-16x16.png",
  "favicon-32x32.png",
  "LICENSE",
  "NOTICE",
];

mkdirSync(target, { recursive: true });
for (const file of files) copyFileSync(join(source, file), join(target, file));
console.log(`Swagger UI assets copied to ${target}`);
