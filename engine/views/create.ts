/**
 * The export's views, recreated in the version schema inside the load's
 * transaction: each checked for what it reads and calls (vet.ts), translated
 * (translate.ts) and created in its own savepoint, with search_path pinned
 * to the version, then checked again on what PostgreSQL made of it
 * (reach.ts); so a view refused, by those checks or by PostgreSQL, is
 * rolled back alone and reported while the load goes on. Each is created
 * with security_invoker, so whoever reads it needs rights on what it reads.
 * Views are created in dependency order, so a view over views finds them
 * (and fails, naming the missing one, when one failed). switch_to() then
 * gives each a stable view, as it does for tables.
 */
import { ClientBase, DatabaseError, QueryConfig } from "pg";
import { TableLoadSummary } from "../load/load-schema";
import { openSource, SourceTable, SourceView } from "../source";
import { identifierBytes, MAX_IDENTIFIER_BYTES, qualified, quoteIdent, quoteLiteral } from "../sql/identifiers";
import { parseCreateView, ParsedView, ViewSqlError } from "./parse";
import { reachRefusal } from "./reach";
import { affinityOf } from "../types/declared";
import { referencedRelations } from "./scope";
import { translateView } from "./translate";
import type { ColumnInfo, RelationInfo } from "./translation-context";
import { vetView } from "./vet";

export interface FailedView {
  readonly name: string;
  /** PostgreSQL's error, why its SQL could not be read, or what it may not read or call. */
  readonly error: string;
  /** True when refused for what it reads or calls (a view_refused finding), not for its SQL. */
  readonly refused?: boolean;
}

export interface ViewsReport {
  /** Views created in the version (and given a stable view on cutover), in creation order. */
  readonly created: readonly string[];
  /** Views not created. */
  readonly failed: readonly FailedView[];
}

export interface CreateViewsInput {
  readonly client: ClientBase;
  readonly schema: string;
  readonly sourcePath: string;
  readonly views: readonly SourceView[];
  readonly sourceTables: readonly SourceTable[];
  /** The tables as loaded: their PostgreSQL names and types, and the formats their values had. */
  readonly tables: readonly TableLoadSummary[];
}

const SAVEPOINT = "sdm_view";

/**
 * The to_char() pattern of a naive ISO timestamp format label
 * (engine/formats/timestamp-formats.ts), or null for any other.
 */
export function isoPattern(label: string): string | null {
  const match = /^YYYY-MM-DD(?:([ T])HH:MM(:SS(?:\.(f{1,6}))?)?)?$/.exec(label);
  if (!match) return null;
  const [, separator, seconds, fraction] = match;
  if (separator === undefined) return "YYYY-MM-DD";
  return `YYYY-MM-DD${separator === "T" ? '"T"' : " "}HH24:MI${seconds ? ":SS" : ""}${fraction ? `.FF${fraction.length}` : ""}`;
}

/** The pattern that gives back the text SQLite stored, when every value of the column was text in one ISO format. */
function textFormatOf(table: TableLoadSummary, index: number, type: string): string | null {
  if (type !== "timestamp without time zone" && type !== "date") return null;
  const stats = table.stats.columns[index];
  const labels = Object.keys(stats.formats);
  if (labels.length !== 1 || stats.formats[labels[0]] !== stats.converted || Object.keys(stats.rejections).length > 0) return null;
  return isoPattern(labels[0]);
}

function tableRelations(input: CreateViewsInput): Map<string, RelationInfo> {
  const relations = new Map<string, RelationInfo>();
  for (const table of input.tables) {
    const source = input.sourceTables.find((t) => t.name === table.source);
    const columns: ColumnInfo[] = table.plan.columns.map((c, i) => ({
      source: c.source,
      name: c.name,
      type: c.type,
      affinity: affinityOf(source?.columns.find((s) => s.name === c.source)?.declaredType ?? c.declaredType),
      textFormat: textFormatOf(table, i, c.type),
    }));
    relations.set(table.source.toLowerCase(), { name: table.table, columns });
  }
  return relations;
}

interface ParsedEntry {
  readonly view: SourceView;
  readonly parsed: ParsedView | null;
  /** The relations its SQL reads, as written. */
  readonly reads: readonly string[];
  /** Why its SQL could not be read, when it could not. */
  readonly error: string | null;
}

/** Views before the views that read them; otherwise by name. */
function creationOrder(parsed: readonly ParsedEntry[]): ParsedEntry[] {
  const byName = new Map(parsed.map((p) => [p.view.name.toLowerCase(), p]));
  const ordered: ParsedEntry[] = [];
  const seen = new Set<string>();
  const visit = (entry: ParsedEntry) => {
    const key = entry.view.name.toLowerCase();
    if (seen.has(key)) return; // done, or a cycle SQLite would not have let exist: PostgreSQL reports it
    seen.add(key);
    for (const name of entry.reads) {
      const dependency = byName.get(name.toLowerCase());
      if (dependency) visit(dependency);
    }
    ordered.push(entry);
  };
  for (const entry of [...parsed].sort((a, b) => a.view.name.localeCompare(b.view.name))) visit(entry);
  return ordered;
}

const FOLDABLE = /^(date|time|datetime|julianday|strftime|unixepoch)\(/;

export async function createViews(input: CreateViewsInput): Promise<ViewsReport> {
  const { client, schema } = input;
  const created: string[] = [];
  const failed: FailedView[] = [];
  if (input.views.length === 0) return { created, failed };
  const relations = tableRelations(input);
  const parsed = input.views.map((view): ParsedEntry => {
    try {
      const parsed = parseCreateView(view.sql);
      // Reading the relations builds the same tree the translation does: SQL it cannot read fails here, alone.
      return { view, parsed, reads: referencedRelations(parsed), error: null };
    } catch (error) {
      if (!(error instanceof ViewSqlError)) throw error;
      return { view, parsed: null, reads: [], error: (error as Error).message };
    }
  });
  const source = openSource(input.sourcePath);
  const { rows } = await client.query<{ path: string }>("SELECT pg_catalog.current_setting('search_path') AS path");
  // Unqualified names in a view resolve in the version only (pg_temp last, so no temporary table shadows a table).
  await client.query("SELECT pg_catalog.set_config('search_path', $1, true)", [`${quoteIdent(schema)}, pg_catalog, pg_temp`]);
  try {
    const context = {
      relation: (name: string) => relations.get(name.toLowerCase()),
      // Only a date function of literals reaches SQLite (FOLDABLE and translate.ts), on a read-only connection.
      fold: (call: string) => {
        if (!FOLDABLE.test(call)) return undefined;
        try {
          const value = source.prepare(`SELECT ${call}`).pluck().get() as string | number | null;
          if (value === null) return "NULL";
          return typeof value === "string" ? quoteLiteral(value) : String(value);
        } catch {
          return undefined;
        }
      },
    };
    const exportRelations = new Set([...relations.keys(), ...input.views.map((v) => v.name.toLowerCase())]);
    for (const entry of creationOrder(parsed)) {
      const { view } = entry;
      const invalid = entry.error ?? tooLong(view);
      const refusal = invalid === null ? vetView(entry.parsed!, (name) => exportRelations.has(name.toLowerCase())) : null;
      const outcome =
        invalid !== null
          ? { error: invalid, refused: false }
          : refusal !== null
            ? { error: refusal, refused: true }
            : await createOne(client, schema, view, translateView(entry.parsed!, context));
      if (outcome !== null) {
        failed.push({ name: view.name, error: outcome.error, ...(outcome.refused ? { refused: true } : {}) });
        continue;
      }
      created.push(view.name);
      relations.set(view.name.toLowerCase(), await viewRelation(client, schema, view));
    }
  } finally {
    source.close();
  }
  // Not in the finally: after a failure the load is rolled back, and its settings with it.
  await client.query("SELECT pg_catalog.set_config('search_path', $1, true)", [rows[0].path]);
  return { created, failed };
}

/** PostgreSQL would silently truncate a name over 63 bytes (and could merge two): refused here, naming it. */
function tooLong(view: SourceView): string | null {
  const long = [view.name, ...view.columns.map((c) => c.name)].find((name) => identifierBytes(name) > MAX_IDENTIFIER_BYTES);
  if (long === undefined) return null;
  const what = long === view.name ? "its name" : `its column "${long}"`;
  return `${what} is ${identifierBytes(long)} bytes; PostgreSQL keeps only ${MAX_IDENTIFIER_BYTES}`;
}

/**
 * Creates one view in its savepoint and checks what PostgreSQL made of it.
 * Returns why it was rolled back (PostgreSQL's error, or what it reads or
 * calls beyond its version), else null.
 */
async function createOne(
  client: ClientBase,
  schema: string,
  view: SourceView,
  select: string,
): Promise<{ error: string; refused: boolean } | null> {
  // The result columns keep SQLite's names, which dashboards use, whatever PostgreSQL would call an expression.
  const columns = view.columns.length > 0 ? ` (${view.columns.map((c) => quoteIdent(c.name)).join(", ")})` : "";
  await client.query(`SAVEPOINT ${SAVEPOINT}`);
  let outcome: { error: string; refused: boolean } | null;
  try {
    // The extended protocol runs exactly one statement, whatever the text holds (queryMode is missing from @types/pg).
    // security_invoker: a reader's own rights apply to what the view reads, never its owner's (the migrator's).
    const query: QueryConfig & { queryMode: "extended" } = {
      text: `CREATE VIEW ${qualified(schema, view.name)}${columns} WITH (security_invoker = true) AS ${select}`,
      queryMode: "extended",
    };
    await client.query(query);
    const refusal = await reachRefusal(client, schema, view.name);
    outcome = refusal === null ? null : { error: refusal, refused: true };
  } catch (error) {
    if (!(error instanceof DatabaseError)) throw error;
    outcome = { error: error.message, refused: false };
  }
  if (outcome !== null) await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
  await client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
  return outcome;
}

/** A created view as the next views see it: PostgreSQL's column types, SQLite's affinities. */
async function viewRelation(client: ClientBase, schema: string, view: SourceView): Promise<RelationInfo> {
  const { rows } = await client.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type
     FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [qualified(schema, view.name)],
  );
  return {
    name: view.name,
    columns: rows.map((r) => ({
      source: r.name,
      name: r.name,
      type: r.type,
      affinity: affinityOf(view.columns.find((c) => c.name === r.name)?.declaredType ?? ""),
      textFormat: null,
    })),
  };
}
