// Who may use the local SQL endpoint. It runs arbitrary SQL by design, so it serves this
// project's Worker and nobody else: a request must name a loopback host (a web page whose own DNS
// name was rebound to 127.0.0.1 still sends that name as Host), carry this run's random secret as
// the password of its connection string, and name a database the endpoint was told to serve, so
// that no request can make it create or migrate a database of its choosing.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { HttpError } from "./http.ts";
import { type ConnectionTarget, checkDatabaseName } from "./request.ts";

/** The database names an endpoint serves: a list, or a rule for names made up at run time. */
export type AllowedDatabases = readonly string[] | ((name: string) => boolean);

// 127.0.0.1, localhost or [::1], each with or without a port.
const LOOPBACK_HOST = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$/i;

/** 256 random bits, URL-safe as they are, so they need no escaping as a password in a URL. */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

export function accessRules(secret: string, databases: AllowedDatabases) {
  const secretDigest = digest(secret);
  const served =
    typeof databases === "function" ? databases : (name: string) => databases.includes(name);
  return {
    checkHost(host: string | undefined): void {
      if (host === undefined || !LOOPBACK_HOST.test(host)) {
        throw new HttpError(
          403,
          `Host ${JSON.stringify(host ?? "")} is not a loopback name: the SQL endpoint serves only this machine`,
        );
      }
    },

    /** The database a request may use, after its password and the database's name are checked. */
    databaseOf(target: ConnectionTarget): string {
      // Digests have one length whatever was sent, so the comparison takes the same time for
      // every wrong password and timingSafeEqual never throws.
      if (!timingSafeEqual(digest(target.password), secretDigest)) {
        throw new HttpError(
          401,
          "Neon-Connection-String must carry this SQL endpoint's secret as its password",
        );
      }
      checkDatabaseName(target.database);
      if (!served(target.database)) {
        throw new HttpError(
          403,
          `database ${JSON.stringify(target.database)} is not one this SQL endpoint serves`,
        );
      }
      return target.database;
    },
  };
}
