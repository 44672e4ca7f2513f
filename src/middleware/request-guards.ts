import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { problems } from "../lib/problems";

const MAX_BODY_BYTES = 64 * 1024;

/** Refuses a body over 64 KiB with a 413 problem before anything reads it. */
export const limitBodySize: MiddlewareHandler = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw problems.payloadTooLarge();
  },
});
