// Text that is not valid Unicode is refused, never repaired: a lone surrogate (which JSON's
// `\ud800` escape can carry), bytes that are not UTF-8 and a query whose percent-escapes do not
// decode to UTF-8 would otherwise be stored as U+FFFD, or searched for as literal escapes.

/** In a `u` regular expression a surrogate pair is one code point: only a lone half is `Cs`. */
const loneSurrogate = /\p{Cs}/u;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Whether the bytes are UTF-8 (an empty body is). */
export function isUtf8(bytes: ArrayBuffer): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of the first string, or object key, in a parsed JSON value that holds a lone surrogate,
 * or undefined when every string is well-formed.
 */
export function illFormedPath(value: unknown, path: string[] = []): string[] | undefined {
  if (typeof value === "string") return loneSurrogate.test(value) ? path : undefined;
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (loneSurrogate.test(key)) return [...path, key];
    const found = illFormedPath(item, [...path, key]);
    if (found) return found;
  }
  return undefined;
}

/**
 * The name of the first query parameter whose name or value does not percent-decode to UTF-8
 * (`%FF`, an encoded surrogate), or undefined when all do.
 */
export function illFormedQueryParameter(search: string): string | undefined {
  for (const pair of search.replace(/^\?/, "").split("&")) {
    try {
      decodeURIComponent(pair.replaceAll("+", " "));
    } catch {
      return pair.split("=")[0];
    }
  }
  return undefined;
}
