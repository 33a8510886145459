/**
 * What a run may change in PostgreSQL, read back: a fingerprint of
 * everything (so "nothing changed" is one equality), row counts, the
 * stable schema's active version, a prefix's schemas; and a baseline a bad
 * input must leave exactly as it is.
 */
import { Client } from "pg";
import { CliOptions, CliResult, failureLine, reportOf, runCli } from "./cli";
import { quoteIdent } from "../../../engine/sql/identifiers";

const FINGERPRINT_SQL = `
  WITH "schemas" AS (
    SELECT "oid", "nspname" FROM "pg_namespace"
    WHERE "nspname" NOT IN ('pg_catalog', 'information_schema') AND "nspname" NOT LIKE 'pg\\_toast%' AND "nspname" NOT LIKE 'pg\\_temp\\_%'
  )
  SELECT 'schema ' || "nspname" AS "key", coalesce(obj_description("oid", 'pg_namespace'), '') AS "value" FROM "schemas"
  UNION ALL
  SELECT 'relation ' || s."nspname" || '.' || c."relname", c."relkind"::text || ' ' || CASE c."relkind"
      WHEN 'v' THEN pg_get_viewdef(c."oid") WHEN 'i' THEN pg_get_indexdef(c."oid") ELSE '' END
  FROM "pg_class" c JOIN "schemas" s ON s."oid" = c."relnamespace"
  UNION ALL
  SELECT 'constraint ' || s."nspname" || '.' || c."conname", pg_get_constraintdef(c."oid")
  FROM "pg_constraint" c JOIN "schemas" s ON s."oid" = c."connamespace"
  UNION ALL
  SELECT 'function ' || s."nspname" || '.' || p."proname" || '(' || pg_get_function_identity_arguments(p."oid") || ')', md5(p."prosrc")
  FROM "pg_proc" p JOIN "schemas" s ON s."oid" = p."pronamespace"
  ORDER BY 1`;

const TABLES_SQL = `
  SELECT n."nspname", c."relname" FROM "pg_class" c JOIN "pg_namespace" n ON n."oid" = c."relnamespace"
  WHERE c."relkind" IN ('r', 'p', 'm') AND n."nspname" NOT IN ('pg_catalog', 'information_schema') AND n."nspname" NOT LIKE 'pg\\_toast%'
  ORDER BY 1, 2`;

export { quoteIdent };

/**
 * Everything a run could change in a database, as key -> value: schemas and
 * their comments (version metadata, the stable schema's active version),
 * relations with view and index definitions, constraints, functions, and
 * every table's row count and content digest.
 */
export async function databaseFingerprint(url: string): Promise<Record<string, string>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const fingerprint: Record<string, string> = {};
    for (const row of (await client.query<{ key: string; value: string }>(FINGERPRINT_SQL)).rows) fingerprint[row.key] = row.value;
    for (const { nspname, relname } of (await client.query<{ nspname: string; relname: string }>(TABLES_SQL)).rows) {
      const table = `${quoteIdent(nspname)}.${quoteIdent(relname)}`;
      const { rows } = await client.query<{ n: string; digest: string | null }>(
        `SELECT count(*) AS n, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS digest FROM ${table} t`,
      );
      fingerprint[`rows ${nspname}.${relname}`] = `${rows[0].n} ${rows[0].digest ?? ""}`;
    }
    return fingerprint;
  } finally {
    await client.end();
  }
}

/** Row count of a table (schema and name unquoted). */
export async function countRows(url: string, schema: string, table: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(schema)}.${quoteIdent(table)}`);
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

/** The version the stable schema's views point at (from its metadata comment), or null. */
export async function activeVersionOf(url: string, prefix: string): Promise<string | null> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ c: string | null }>(
      "SELECT obj_description(oid, 'pg_namespace') AS c FROM pg_namespace WHERE nspname = $1",
      [prefix],
    );
    return rows.length === 0 || rows[0].c === null ? null : ((JSON.parse(rows[0].c) as { active: string | null }).active ?? null);
  } finally {
    await client.end();
  }
}

/** Every schema of a prefix's family (the stable one and `<prefix>_...`), sorted. */
export async function schemasOf(url: string, prefix: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      "SELECT nspname FROM pg_namespace WHERE nspname = $1 OR starts_with(nspname, $1 || '_') ORDER BY nspname",
      [prefix],
    );
    return rows.map((r) => r.nspname);
  } finally {
    await client.end();
  }
}

export interface Baseline {
  readonly url: string;
  readonly prefix: string;
  readonly schema: string;
  /** The prefix's schemas: stable, control, the version. */
  readonly schemas: readonly string[];
  /** Rows per table, read through the stable schema's views. */
  readonly rows: Readonly<Record<string, number>>;
}

/** Loads `source` into `prefix` with the CLI (complete mode) and returns the state to hold later runs against. */
export async function loadBaseline(
  url: string,
  prefix: string,
  source: { path: string; rows: Record<string, number> },
  backupDirectory: string,
): Promise<Baseline> {
  const first = await runCli([
    "migrate",
    "--source",
    source.path,
    "--database-url",
    url,
    "--schema-prefix",
    prefix,
    "--backup-dir",
    backupDirectory,
    "--json",
    "--quiet",
  ]);
  if (first.status !== 0) throw new Error(`the baseline migration failed: ${first.stderr}`);
  const schema = reportOf(first).schema!;
  const baseline: Baseline = { url, prefix, schema, schemas: [prefix, `${prefix}_control`, schema].sort(), rows: { ...source.rows } };
  await expectBaselineIntact(baseline);
  return baseline;
}

/** The prefix has no new schema, the stable schema points at the baseline version, and its views count the baseline's rows. */
export async function expectBaselineIntact(baseline: Baseline): Promise<void> {
  expect(await schemasOf(baseline.url, baseline.prefix)).toEqual(baseline.schemas);
  expect(await activeVersionOf(baseline.url, baseline.prefix)).toBe(baseline.schema);
  const counted: Record<string, number> = {};
  for (const table of Object.keys(baseline.rows)) counted[table] = await countRows(baseline.url, baseline.prefix, table);
  expect(counted).toEqual(baseline.rows);
}

export interface ExpectedRefusal {
  readonly status: 1 | 2;
  /** The error code the CLI prints in brackets. */
  readonly code: string;
  /** Parts of the failure line: what is wrong and where. */
  readonly message: readonly (string | RegExp)[];
  /** Text that must appear nowhere in stdout or stderr (a password). */
  readonly secret?: string;
}

/**
 * Runs the CLI and asserts it failed as expected and that the database is
 * exactly as before: same fingerprint, baseline intact.
 */
export async function expectCliRefused(
  baseline: Baseline,
  args: readonly string[],
  expected: ExpectedRefusal,
  options: CliOptions = {},
): Promise<CliResult> {
  const before = await databaseFingerprint(baseline.url);
  const result = await runCli(args, options);
  const line = failureLine(result);
  expect({ status: result.status, line }).toEqual({ status: expected.status, line: expect.stringContaining(`[${expected.code}]`) });
  for (const part of expected.message)
    expect(line).toEqual(typeof part === "string" ? expect.stringContaining(part) : expect.stringMatching(part));
  // --json prints the report on failure too, its error carrying the same code.
  if (args.includes("--json")) {
    expect(reportOf(result)).toMatchObject({
      outcome: expected.code === "GATE_BLOCKED" ? "blocked" : "failed",
      error: { code: expected.code },
    });
  }
  if (expected.secret !== undefined) expect(`${result.stdout}\n${result.stderr}`).not.toContain(expected.secret);
  expect(await databaseFingerprint(baseline.url)).toEqual(before);
  await expectBaselineIntact(baseline);
  return result;
}
