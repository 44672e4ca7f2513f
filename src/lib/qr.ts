import { encode } from "uqr";

/**
 * A QR code of `text` as an SVG data URI, for an `<img src>`: one unit per module, the four-module
 * quiet zone scanners need, each row's runs of dark modules drawn as one rectangle (a third of the
 * size of one square per module). uqr encodes; the drawing is this small loop.
 */
export function qrCodeDataUri(text: string): string {
  const { size, data } = encode(text, { ecc: "M", border: 4 });
  let path = "";
  data.forEach((row, y) => {
    for (let x = 0; x < size; x++) {
      if (!row[x]) continue;
      const start = x;
      while (row[x + 1]) x++;
      path += `M${start} ${y}h${x - start + 1}v1H${start}z`;
    }
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges"><rect width="${size}" height="${size}" fill="#fff"/><path d="${path}"/></svg>`;
  return `data:image/svg+xml;base64,${btoa(svg)}`;
}
