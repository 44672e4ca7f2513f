import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../lib/problem";

export const MAX_BODY_BYTES = 64 * 1024;

export const limitBodySize: MiddlewareHandler = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new ApiError(413, "payload_too_large", "The request body is larger than 64 KiB.");
  },
});

export function unsupportedMediaType() {
  return new ApiError(415, "unsupported_media_type", "Send the request body as application/json.", {
    headers: { "Accept-Post": "application/json" },
  });
}
