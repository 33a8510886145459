/**
 * The adversarial corpus: exports built to make a migration reach past
 * what its readers may see, or to break it. Each starts from a small
 * legitimate export (tickets, and a view dashboards read) and adds one
 * family of attack:
 *   - views over PostgreSQL's catalogs and statistics, plainly, qualified,
 *     or hidden in a subquery, a WITH clause or a parenthesized join;
 *   - views over the control schema, another prefix's versions, another
 *     schema the migrator may read;
 *   - views calling functions that reach the server's files, settings,
 *     sessions, locks or other SQL, by plain or quoted names or in FROM;
 *   - SQL that SQLite and PostgreSQL read differently (nested comments);
 *   - names built to break quoting, and tables named as catalogs are;
 *   - schema SQL SQLite would not write itself (edited with writable_schema);
 *   - truncated and corrupt files.
 * Each case says what must come of it: the views created and those
 * refused (with the reason naming the relation or function), or the
 * coded error the run must end with.
 */
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";
import Database from "better-sqlite3";
import { generateServicedeskDatabase } from "../../engine/generate";
import { writeSqlite } from "../support/sqlite";

/** What a case's SQL may name: the prefix it is loaded under, and another prefix's version. */
export interface CaseContext {
  readonly prefix: string;
  readonly otherVersion: string;
  /** A schema of someone else's that the migrator may read and the reader may not. */
  readonly privateSchema: string;
}

export type Expected =
  | {
      readonly outcome: "loaded";
      /** Views the version and the stable schema must have. */
      readonly created: readonly string[];
      /** Views refused for what they read or call, with the reason (a view_refused finding each). */
      readonly refused?: Readonly<Record<string, string>>;
      /** Views not created for their SQL (not a security refusal). */
      readonly failed?: Readonly<Record<string, string>>;
      /** A fact about the loaded tables, checked as the reader. */
      readonly tables?: Readonly<Record<string, number>>;
      /** Notes the report must hold. */
      readonly notes?: readonly string[];
    }
  | { readonly outcome: "failed"; readonly code: string; readonly table?: string };

export interface AdversarialCase {
  readonly name: string;
  build(file: string, context: CaseContext): void;
  expected(context: CaseContext): Expected;
}

const BASE = `
  CREATE TABLE tickets (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
  INSERT INTO tickets VALUES (1, 'printer jammed'), (2, 'vpn down'), (3, 'new laptop');
  CREATE VIEW open_tickets AS SELECT id, title FROM tickets WHERE id > 1;`;

const notTheExport = (name: string) => `reads "${name}", which is not a table or view of the export`;
const unknownFunction = (name: string) =>
  `calls ${name}(), which is not one of the SQLite functions the translator knows a PostgreSQL equivalent of`;

/** A legitimate export plus `views` (name -> SELECT). */
function withViews(file: string, views: Record<string, string>): void {
  const sql = Object.entries(views)
    .map(([name, select]) => `CREATE VIEW "${name.replace(/"/g, '""')}" AS ${select};`)
    .join("\n");
  writeSqlite(file, `${BASE}\n${sql}`);
}

/** Rewrites objects' SQL in sqlite_schema, as a file edited with writable_schema would hold it. */
function editSchema(file: string, edits: Record<string, string>): void {
  const db = new Database(file);
  try {
    db.unsafeMode(true);
    db.pragma("writable_schema = ON");
    for (const [name, sql] of Object.entries(edits)) db.prepare("UPDATE sqlite_schema SET sql = ? WHERE name = ?").run(sql, name);
    db.pragma("writable_schema = OFF");
  } finally {
    db.close();
  }
}

/** A real ServiceDesk export, 600 tickets. */
function servicedeskExport(file: string): void {
  generateServicedeskDatabase({ tickets: 600, seed: 7, out: file });
}

/** Overwrites bytes of `file` at `offset`. */
function overwrite(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

/**
 * The first leaf page of `table` whose cell content, overwritten, SQLite
 * notices only when the rows are read (a count still passes): corruption
 * that only the load's full read can find.
 */
function corruptLeafOfTable(file: string, table: string): void {
  const pristine = readFileSync(file);
  const pageSize = pristine.readUInt16BE(16);
  for (let page = 2; page < pristine.length / pageSize; page++) {
    writeFileSync(file, pristine);
    overwrite(file, page * pageSize + pageSize / 2, Buffer.alloc(200, 0xff));
    const db = new Database(file, { readonly: true });
    try {
      db.prepare(`SELECT count(*) FROM "${table}"`).get();
      db.prepare(`SELECT * FROM "${table}"`).all();
    } catch {
      return;
    } finally {
      db.close();
    }
  }
  throw new Error(`no page of ${table} in ${file} breaks a full read when overwritten`);
}

export const ADVERSARIAL_CASES: readonly AdversarialCase[] = [
  {
    name: "views over the catalogs and statistics",
    build: (file) =>
      withViews(file, {
        v_catalog: "SELECT rolname || ':' || coalesce(rolpassword, '') AS x FROM pg_authid LIMIT 1",
        v_statistic: "SELECT * FROM pg_statistic",
        v_stats: "SELECT CAST(most_common_vals AS TEXT) AS mcv FROM pg_stats",
        v_main: "SELECT rolpassword FROM main.pg_authid",
        v_shadow: "SELECT rolpassword FROM pg_shadow",
      }),
    expected: () => ({
      outcome: "loaded",
      created: ["open_tickets"],
      refused: {
        v_catalog: notTheExport("pg_authid"),
        v_statistic: notTheExport("pg_statistic"),
        v_stats: notTheExport("pg_stats"),
        v_main: notTheExport("pg_authid"),
        v_shadow: notTheExport("pg_shadow"),
      },
    }),
  },
  {
    name: "a catalog hidden in a subquery, a WITH clause's shadow and a parenthesized join",
    build: (file) =>
      withViews(file, {
        v_subquery: "SELECT id, (SELECT rolpassword FROM pg_authid LIMIT 1) AS x FROM tickets",
        v_with_shadow: "SELECT * FROM (WITH pg_authid AS (SELECT 1 AS x) SELECT x FROM pg_authid) AS a, pg_authid",
        v_parenthesized: "SELECT t.id FROM (pg_authid CROSS JOIN tickets AS t)",
        v_recursive: "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3) SELECT n FROM c",
      }),
    expected: () => ({
      outcome: "loaded",
      created: ["open_tickets", "v_recursive"],
      refused: {
        v_subquery: notTheExport("pg_authid"),
        v_with_shadow: notTheExport("pg_authid"),
        v_parenthesized: notTheExport("pg_authid"),
      },
    }),
  },
  {
    name: "SQL PostgreSQL would read differently: a comment SQLite closes and PostgreSQL nests",
    // SQLite reads one comment, then a string; PostgreSQL would read the string's text as SQL.
    build: (file) => withViews(file, { v_comment: "SELECT /* /* */ 'x */ rolpassword FROM pg_authid --' AS a FROM tickets" }),
    expected: () => ({ outcome: "loaded", created: ["open_tickets", "v_comment"] }),
  },
  {
    // SQLite lets a view name no other schema than main: unqualified names are all an export can hold.
    name: "views over the names of the control schema's, another prefix's and another schema's relations",
    build: (file) =>
      withViews(file, {
        v_claims: "SELECT * FROM claims",
        v_rejects: "SELECT * FROM _rejects",
        v_private: "SELECT * FROM secrets",
      }),
    expected: () => ({
      outcome: "loaded",
      created: ["open_tickets"],
      refused: { v_claims: notTheExport("claims"), v_rejects: notTheExport("_rejects"), v_private: notTheExport("secrets") },
    }),
  },
  {
    // Only an edited schema can qualify a view's relation; SQLite itself then refuses to read the file.
    name: "views naming the control schema, another prefix's version and another schema (writable_schema)",
    build: (file, ctx) => {
      withViews(file, { v_claims: "SELECT id FROM tickets", v_other: "SELECT id FROM tickets", v_private: "SELECT id FROM tickets" });
      editSchema(file, {
        v_claims: `CREATE VIEW v_claims AS SELECT * FROM "${ctx.prefix}_control"."claims"`,
        v_other: `CREATE VIEW v_other AS SELECT * FROM "${ctx.otherVersion}"."tickets"`,
        v_private: `CREATE VIEW v_private AS SELECT * FROM "${ctx.privateSchema}".secrets`,
      });
    },
    expected: () => ({ outcome: "failed", code: "SOURCE_CORRUPT" }),
  },
  {
    name: "functions that reach the server's files, settings, sessions, locks and other SQL",
    build: (file) =>
      withViews(file, {
        f_read_file: "SELECT pg_read_file('/etc/passwd') AS x",
        f_ls_dir: "SELECT * FROM pg_ls_dir('.')",
        f_setting: "SELECT current_setting('data_directory') AS x",
        f_set_config: "SELECT set_config('statement_timeout', '1', 0) AS x",
        f_terminate: "SELECT pg_terminate_backend(pg_backend_pid()) AS x",
        f_other_sql: "SELECT query_to_xml('select rolpassword from pg_authid', 1, 1, '') AS x",
        f_lock: "SELECT pg_advisory_lock(1) AS x FROM tickets",
        f_sleep: "SELECT id FROM tickets WHERE length(pg_sleep(5)) IS NULL",
        f_large_object: "SELECT lo_import('/etc/passwd') AS x",
        f_quoted: `SELECT "pg_read_file"('/etc/passwd') AS x`,
        f_bracketed: "SELECT [pg_terminate_backend](1) AS x",
      }),
    expected: () => ({
      outcome: "loaded",
      created: ["open_tickets"],
      refused: {
        f_read_file: unknownFunction("pg_read_file"),
        f_ls_dir: unknownFunction("pg_ls_dir"),
        f_setting: unknownFunction("current_setting"),
        f_set_config: unknownFunction("set_config"),
        f_terminate: unknownFunction("pg_terminate_backend"),
        f_other_sql: unknownFunction("query_to_xml"),
        f_lock: unknownFunction("pg_advisory_lock"),
        f_sleep: unknownFunction("pg_sleep"),
        f_large_object: unknownFunction("lo_import"),
        f_quoted: `calls "pg_read_file"(...), a function by a quoted or qualified name; a view may call only SQLite's functions the translator knows, by their plain names`,
        f_bracketed: `calls "pg_terminate_backend"(...), a function by a quoted or qualified name; a view may call only SQLite's functions the translator knows, by their plain names`,
      },
    }),
  },
  {
    name: "names built to break quoting, and tables named as PostgreSQL's catalogs",
    build: (file) =>
      writeSqlite(
        file,
        `${BASE}
        CREATE TABLE [t"; DROP SCHEMA public CASCADE; --] (
          "c""x" INTEGER PRIMARY KEY, "a]b" TEXT, "%I %s %L $1" TEXT, "new
line" TEXT, "ü ñ 🎉 ' \\" TEXT);
        INSERT INTO [t"; DROP SCHEMA public CASCADE; --] VALUES (1, 'a', 'b', 'c', 'd');
        CREATE INDEX ["); DROP TABLE tickets; --] ON [t"; DROP SCHEMA public CASCADE; --] ("a]b");
        CREATE TABLE pg_authid (rolname TEXT, rolpassword TEXT);
        INSERT INTO pg_authid VALUES ('export', 'not-a-hash');
        CREATE TABLE pg_class (relname TEXT);
        INSERT INTO pg_class VALUES ('the export''s own');
        CREATE VIEW v_auth AS SELECT rolname || ':' || coalesce(rolpassword, '') AS x FROM pg_authid;
        CREATE VIEW [v'; --] AS SELECT relname FROM pg_class;
        CREATE VIEW [v"x] AS SELECT "c""x", "a]b" FROM [t"; DROP SCHEMA public CASCADE; --];`,
      ),
    expected: () => ({
      outcome: "loaded",
      created: ["open_tickets", "v'; --", 'v"x', "v_auth"],
      tables: { 't"; DROP SCHEMA public CASCADE; --': 1, pg_authid: 1, pg_class: 1, tickets: 3 },
    }),
  },
  {
    name: "schema SQL SQLite would not write (writable_schema): two statements, a server call as DEFAULT, odd declared types",
    build: (file) => {
      writeSqlite(
        file,
        `${BASE}
        CREATE TABLE sizes (id INTEGER PRIMARY KEY, amount NUMERIC(10,2), label VARCHAR(10), note TEXT);
        INSERT INTO sizes VALUES (1, 2.5, 'x', 'y');`,
      );
      editSchema(file, {
        open_tickets: "CREATE VIEW open_tickets AS SELECT id, title FROM tickets; DROP TABLE tickets",
        tickets: "CREATE TABLE tickets (id INTEGER PRIMARY KEY, title TEXT NOT NULL DEFAULT (pg_read_file('/etc/passwd')))",
        sizes: `CREATE TABLE sizes (id INTEGER PRIMARY KEY, amount NUMERIC(1001,2), label VARCHAR(99999999999), note "TEXT); DROP TABLE x; --")`,
      });
    },
    expected: () => ({
      outcome: "loaded",
      created: [],
      failed: { open_tickets: "its SQL holds more than one statement" },
      tables: { tickets: 3, sizes: 1 },
      notes: [
        `"tickets"."title": DEFAULT pg_read_file('/etc/passwd') is an expression that is not translated; dropped`,
        `"sizes"."amount": declared NUMERIC(1001,2): PostgreSQL's numeric takes a precision of 1 to 1000 and a scale up to 1000, so it is unconstrained numeric`,
        `"sizes"."label": declared VARCHAR(99999999999): PostgreSQL's varchar takes a length of 1 to 10485760, so it is text`,
      ],
    }),
  },
  {
    name: "a view's SQL with a NUL byte (writable_schema)",
    build: (file) => {
      withViews(file, {});
      editSchema(file, { open_tickets: "CREATE VIEW open_tickets AS SELECT 'a\0b' AS x FROM tickets" });
    },
    expected: () => ({ outcome: "failed", code: "SOURCE_CORRUPT" }),
  },
  {
    name: "a file truncated to half its size",
    build: (file) => {
      servicedeskExport(file);
      writeFileSync(file, readFileSync(file).subarray(0, Math.floor(statSync(file).size / 2)));
    },
    expected: () => ({ outcome: "failed", code: "SOURCE_CORRUPT" }),
  },
  {
    name: "a file truncated inside its header page",
    build: (file) => {
      servicedeskExport(file);
      writeFileSync(file, readFileSync(file).subarray(0, 100));
    },
    expected: () => ({ outcome: "failed", code: "SOURCE_CORRUPT" }),
  },
  {
    name: "a file whose b-tree page headers are overwritten",
    build: (file) => {
      servicedeskExport(file);
      const pageSize = readFileSync(file).readUInt16BE(16);
      for (let page = 3; page < statSync(file).size / pageSize; page += 5) overwrite(file, page * pageSize, Buffer.alloc(16, 0xff));
    },
    expected: () => ({ outcome: "failed", code: "SOURCE_CORRUPT" }),
  },
  {
    name: "a file whose corruption only a full read of a table finds",
    build: (file) => {
      servicedeskExport(file);
      corruptLeafOfTable(file, "comments");
    },
    expected: () => ({ outcome: "failed", code: "SOURCE_CORRUPT", table: "comments" }),
  },
];
