import type { MiddlewareHandler } from "hono";
import { problems } from "../lib/problems";

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * The one route whose bodies are larger by nature: POST /users/import takes up to 1,000 users,
 * a few hundred bytes each (a bcrypt hash alone is 60), well over 64 KiB.
 */
const LARGER_BODIES: Record<string, { bytes: number; text: string }> = {
  "POST /users/import": { bytes: 2 * 1024 * 1024, text: "2 MiB" },
};

/**
 * How much of an oversized body is still read, and thrown away, before the 413. A Worker that
 * answers while the client is still sending makes `wrangler dev`'s proxy in front of workerd fail
 * that request (a text/plain 500 "Network connection lost", or a reset) and sometimes the next on
 * the same kept-alive connection. Reading the rest first avoids that; past this much, the time
 * is not worth it and the connection may drop instead (README, "Security and reliability").
 */
const MAX_DRAINED_BYTES = 8 * 1024 * 1024;

/**
 * Reads the request body, up to 64 KiB (LARGER_BODIES: more), before anything else does: the
 * bytes stay in hono's body cache for the validators, which also check that they are UTF-8
 * (lib/openapi.ts). A larger body is read to its end (up to MAX_DRAINED_BYTES) and refused with a
 * 413 problem.
 */
export const limitBodySize: MiddlewareHandler = async (c, next) => {
  const body = c.req.raw.body;
  if (!body) return next();
  const larger = LARGER_BODIES[`${c.req.method} ${c.req.path}`];
  const maxBytes = larger?.bytes ?? DEFAULT_MAX_BODY_BYTES;
  const declared = Number(c.req.header("Content-Length"));
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let tooLarge = declared > maxBytes;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) tooLarge = true;
    if (!tooLarge) chunks.push(value);
    if (size > MAX_DRAINED_BYTES) {
      await reader.cancel();
      break;
    }
  }
  if (tooLarge) throw problems.payloadTooLarge(larger?.text);
  // Kept in hono's body cache, where its validators read the body: they parse these bytes, and
  // check they are UTF-8. Nothing reads the raw stream again. (hono keeps a promise per body
  // type there, which its type declaration does not say; the validation tests would catch a
  // change. A new Request around the bytes, read again, cost a twentieth of a PATCH's CPU.)
  Object.assign(c.req.bodyCache, { arrayBuffer: Promise.resolve(concatenated(chunks, size)) });
  await next();
};

/** The chunks as one ArrayBuffer: the usual small body arrives in one chunk, used as it is. */
function concatenated(chunks: Uint8Array[], size: number): ArrayBuffer {
  const [only] = chunks;
  if (chunks.length === 1 && only && only.byteOffset === 0 && only.buffer.byteLength === size) {
    return only.buffer as ArrayBuffer;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes.buffer;
}
