// The embedded backend: PGlite (Postgres compiled to WebAssembly) in this process, one instance
// per database name, kept in `dataDir/<name>` or in memory. Values come back as Postgres text,
// the way the driver expects them from Neon.
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { type Extension, PGlite, type Results, type Transaction } from "@electric-sql/pglite";
import {
  commandOf,
  type Database,
  type Field,
  type Log,
  type Opener,
  type Statement,
  type StatementResult,
  toText,
  transactionModes,
} from "../database.ts";
import { migratePgliteClient, pgliteExtensions } from "../migrations.ts";

type TypeTable = {
  parsers: Record<number, (value: string) => string>;
  serializers: Record<number, (value: unknown) => string>;
  sizes: Map<number, number>;
};

// Postgres' default 128MB of shared buffers costs each PGlite database about 100MB more
// memory than a local database of a few thousand rows needs.
const PGLITE_CONF = ["shared_buffers=32MB"];

export function pgliteOpener(
  dataDir: string | undefined,
  migrationsFolder: string,
  log: Log,
): Opener {
  // In memory, every database starts as a copy of one migrated template: loading a data
  // directory takes a fraction of the time of initdb plus the migrations.
  let template: Promise<Blob> | undefined;
  function templateDataDir(extensions: Record<string, Extension>): Promise<Blob> {
    if (!template) {
      const making = (async () => {
        const client = await PGlite.create({ extensions, postgresqlconf: PGLITE_CONF });
        try {
          await migratePgliteClient(client, migrationsFolder);
          return await client.dumpDataDir("none");
        } finally {
          await client.close();
        }
      })();
      template = making;
      making.catch(() => {
        if (template === making) template = undefined;
      });
    }
    return template;
  }

  return async (name: string): Promise<Database> => {
    const extensions = await pgliteExtensions(migrationsFolder);
    let client: PGlite;
    if (dataDir) {
      const dir = resolve(dataDir, name);
      await mkdir(dir, { recursive: true });
      client = await PGlite.create(dir, { extensions, postgresqlconf: PGLITE_CONF });
    } else {
      client = await PGlite.create({
        extensions,
        postgresqlconf: PGLITE_CONF,
        loadDataDir: await templateDataDir(extensions),
      });
    }
    try {
      // Also on a copy of the template: a migration added since it was made still applies.
      await migratePgliteClient(client, migrationsFolder);
    } catch (error) {
      await client.close().catch(() => {});
      throw error;
    }
    log(`sql-endpoint: database "${name}" ready (PGlite, migrations applied)`);
    return pgliteDatabase(client);
  };
}

function pgliteDatabase(client: PGlite): Database {
  const exclusive = mutex();
  let types: TypeTable | undefined;

  // Read after migrations, and again whenever a result shows a type created since (an enum
  // from a later CREATE TYPE, say).
  async function typeTable(): Promise<TypeTable> {
    if (types) return types;
    const result = await client.query<[unknown, unknown]>("select oid, typlen from pg_type", [], {
      rowMode: "array",
    });
    const table: TypeTable = { parsers: {}, serializers: {}, sizes: new Map() };
    for (const [oid, typlen] of result.rows) {
      const id = Number(oid);
      table.parsers[id] = (value) => value;
      table.serializers[id] = (value) => String(value);
      table.sizes.set(id, Number(typlen));
    }
    types = table;
    return table;
  }

  async function runOne(
    target: PGlite | Transaction,
    statement: Statement,
    table: TypeTable,
  ): Promise<StatementResult> {
    const result = await target.query<unknown[]>(statement.query, statement.params, {
      rowMode: "array",
      parsers: table.parsers,
      serializers: table.serializers,
    });
    return fromPglite(result, statement.query, table);
  }

  function fromPglite(result: Results<unknown[]>, query: string, table: TypeTable) {
    let unknownType = false;
    const fields: Field[] = result.fields.map((field) => {
      const size = table.sizes.get(field.dataTypeID);
      if (size === undefined) unknownType = true;
      return {
        name: field.name,
        dataTypeID: field.dataTypeID,
        tableID: 0,
        columnID: 0,
        dataTypeSize: size ?? -1,
        dataTypeModifier: -1,
        format: "text",
      };
    });
    const command = result.command ?? commandOf(query);
    if (unknownType || /^(CREATE|ALTER|DROP)$/.test(command)) types = undefined;
    return {
      command,
      rowCount: result.rowCount ?? null,
      fields,
      rows: result.rows.map((row) => row.map(toText)),
    };
  }

  return {
    run: (statement) =>
      exclusive(async () => {
        const table = await typeTable();
        try {
          return await runOne(client, statement, table);
        } finally {
          // A stray BEGIN must not leave the one shared connection inside a transaction.
          if (client.isInTransaction()) await client.exec("ROLLBACK");
        }
      }),
    batch: (statements, options) =>
      exclusive(async () => {
        const table = await typeTable();
        return client.transaction(async (tx) => {
          const modes = transactionModes(options);
          if (modes) await tx.query(`SET TRANSACTION ${modes}`);
          const results: StatementResult[] = [];
          for (const statement of statements) results.push(await runOne(tx, statement, table));
          return results;
        });
      }),
    close: () => exclusive(() => client.close()),
  };
}

// PGlite is a single connection; queue every use so a batch owns it from BEGIN to COMMIT.
function mutex() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => {});
    return run;
  };
}
