// `JWT_SECRET=... npm run pseudonym -- alice@example.com` (or a user id): the keyed hash that
// stands for that account in the metrics' blob6 (an email) or for that user in the request log's
// `user` (an id), so an operator can tell whether the account a query shows is the one they
// suspect. The secret comes from the environment, never the command line (shell history, /proc).
import { pseudonym } from "../src/lib/pseudonym.ts";

const secret = process.env.JWT_SECRET;
const values = process.argv.slice(2);
if (!secret || values.length === 0) {
  console.error("usage: JWT_SECRET=... npm run pseudonym -- <email or user id> [...]");
  process.exit(2);
}
for (const value of values) {
  const kind = value.includes("@") ? "email" : "user";
  console.log(`${value}\t${kind}\t${await pseudonym(secret, kind, value)}`);
}
