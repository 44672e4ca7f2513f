// A local stand-in for the mail provider's HTTP API (Resend's POST /emails). Tests read what the
// Worker sent with GET /messages?to=ADDRESS, and can make the provider fail for one address.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

type Message = { to: string[]; from: string; subject: string; text: string; html: string };
type Received = { authorization: string | undefined; message: Message };

export async function startMailSink() {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://sink");
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "POST" && url.pathname === "/emails") {
      let raw = "";
      for await (const chunk of req) raw += chunk;
      const message = JSON.parse(raw) as Message;
      // Addresses at fail.test make the provider answer 500, to test that failures stay invisible.
      if (message.to.some((to) => to.endsWith("@fail.test"))) {
        return reply(500, { message: "provider exploded" });
      }
      received.push({ authorization: req.headers.authorization, message });
      return reply(200, { id: crypto.randomUUID() });
    }
    if (req.method === "GET" && url.pathname === "/messages") {
      const to = url.searchParams.get("to")?.toLowerCase();
      return reply(
        200,
        received.filter((r) => !to || r.message.to.some((t) => t.toLowerCase() === to)),
      );
    }
    reply(404, { message: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
