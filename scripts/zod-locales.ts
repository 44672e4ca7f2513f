// Stands in for zod's `locales` index in the Worker bundle: English only (see build-worker.ts).
export { default as en } from "zod/v4/locales/en.js";
