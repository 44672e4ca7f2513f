// TOTP setup answers its otpauth URL as a QR code too (an SVG data URI), which an independent
// decoder (paulmillr's `qr`) reads back as that very URL.
import decodeQR from "qr/decode.js";
import { describe, expect, it } from "vitest";
import { PASSWORD, signUp } from "./helpers/factories";
import { call } from "./helpers/worker";

/** The SVG's modules as an RGBA image, `scale` pixels per module (the SVG draws runs as paths). */
function rasterize(svg: string, scale = 4) {
  const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1]);
  const width = size * scale;
  const data = new Uint8ClampedArray(width * width * 4).fill(255);
  for (const [, x, y, w] of svg.matchAll(/M(\d+) (\d+)h(\d+)v1H\d+z/g)) {
    for (let py = Number(y) * scale; py < (Number(y) + 1) * scale; py++) {
      for (let px = Number(x) * scale; px < (Number(x) + Number(w)) * scale; px++) {
        data.fill(0, (py * width + px) * 4, (py * width + px) * 4 + 3);
      }
    }
  }
  return { width, height: width, data };
}

describe("POST /auth/mfa/totp/setup", () => {
  it("answers qr_code: an SVG data URI of the otpauth URL, with a quiet zone", async () => {
    const session = await signUp();
    const res = await call("/auth/mfa/totp/setup", {
      token: session.token,
      body: { current_password: PASSWORD },
    });
    expect(res.status, res.text).toBe(200);
    const { otpauth_url, qr_code } = res.json;
    expect(qr_code).toMatch(/^data:image\/svg\+xml;base64,[A-Za-z0-9+/]+=*$/);
    const svg = atob(qr_code.slice(qr_code.indexOf(",") + 1));
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+"/);
    // Nothing but the code: no script, no external reference.
    expect(svg).not.toMatch(/<script|href|url\(/i);
    const image = rasterize(svg);
    // The four-module quiet zone: the outer rows are white.
    expect(image.data.slice(0, image.width * 4 * 4 * 4).every((byte) => byte === 255)).toBe(true);
    expect(decodeQR(image)).toBe(otpauth_url);
  });

  it("is documented as a data URI in the setup response", async () => {
    const document = (await call("/openapi.json")).json;
    const schema = document.components.schemas.TotpSetup;
    expect(schema.required).toContain("qr_code");
    expect(schema.properties.qr_code.pattern).toBe(
      "^data:image/svg\\+xml;base64,[A-Za-z0-9+/]+=*$",
    );
  });
});
