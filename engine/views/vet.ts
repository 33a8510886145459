/**
 * What an export's view may read and call, checked before its SQL reaches
 * PostgreSQL. SQLite never resolves the names a CREATE VIEW holds, so an
 * export can carry a view over PostgreSQL's catalogs (pg_authid's password
 * hashes, pg_statistic's values), over another schema, or calling a server
 * function; a view reads with its owner's rights, and its owner is the
 * migrator. So a view may read only the export's own tables and views (and
 * its own WITH names), and call only the functions of functions.ts, by their
 * plain names. Anything else refuses the view, naming what it reads or calls.
 */
import { isViewFunction } from "./functions";
import { ParsedView, parseCreateView, ViewSqlError } from "./parse";
import { isWord, Token } from "./tokens";
import { buildTree, lower, Node, RelationPositions, significant } from "./tree";

/** A view refused for what it reads or calls. */
export interface ViewRefusal {
  readonly view: string;
  /** Why, naming the relation or function. */
  readonly message: string;
}

type Ref = Extract<Node, { t: "ref" }>;

const quoted = (parts: readonly Token[]) => parts.map((p) => `"${p.value.replace(/"/g, '""')}"`).join(".");

/** Without SQLite's `main.` qualifier, which names the export's own schema. */
const unqualified = (ref: Ref) => (ref.parts.length > 1 && lower(ref.parts[0].value) === "main" ? ref.parts.slice(1) : ref.parts);

/**
 * The names a WITH clause at this level defines, and the positions of
 * their definitions (`name (columns) AS (...)`: a name before parentheses
 * that is no call).
 */
function withNames(sig: readonly Node[]): { names: string[]; definitions: Set<number> } {
  const names: string[] = [];
  const definitions = new Set<number>();
  let k = sig.findIndex((n) => n.t === "tok" && isWord(n.tok, "WITH"));
  if (k < 0) return { names, definitions };
  k++;
  if (sig[k]?.t === "tok" && isWord((sig[k] as { tok: Token }).tok, "RECURSIVE")) k++;
  for (;;) {
    // `name AS (...)`, `name (columns) AS (...)`, or with a bare name the tree's call shape `name(columns)`.
    const name = sig[k];
    if (name?.t === "call") names.push(lower(name.name.text));
    else if (name?.t === "ref" && name.parts.length === 1) names.push(lower(name.parts[0].value));
    else break;
    definitions.add(k);
    k++;
    if (name.t === "ref" && sig[k]?.t === "group") k++;
    if (!(sig[k]?.t === "tok" && isWord((sig[k] as { tok: Token }).tok, "AS"))) break;
    k++;
    while (sig[k]?.t === "tok" && isWord((sig[k] as { tok: Token }).tok, "NOT", "MATERIALIZED")) k++;
    if (sig[k]?.t !== "group") break;
    k++;
    if (!(sig[k]?.t === "tok" && (sig[k] as { tok: Token }).tok.text === ",")) break;
    k++;
  }
  return { names, definitions };
}

class Vetting {
  constructor(private readonly isExportRelation: (name: string) => boolean) {}

  /**
   * One level of the tree. `relationFirst`: the level is a parenthesized
   * FROM item, whose first piece names a relation (`FROM (a JOIN b ON ...)`).
   */
  level(nodes: readonly Node[], inherited: ReadonlySet<string>, relationFirst: boolean): string | null {
    const sig = significant(nodes);
    const own = withNames(sig);
    const withScope = new Set([...inherited, ...own.names]);
    const positions = new RelationPositions();
    for (let k = 0; k < sig.length; k++) {
      const n = sig[k];
      const first = relationFirst && k === 0;
      if (n.t === "tok") {
        positions.see(n.tok);
        continue;
      }
      const atRelation = positions.take() || first;
      const refusal =
        n.t === "ref"
          ? this.reference(n, sig[k + 1], atRelation, withScope, own.definitions.has(k))
          : n.t === "call"
            ? own.definitions.has(k)
              ? null
              : this.call(n, withScope)
            : this.level(n.items, withScope, atRelation);
      if (refusal !== null) return refusal;
    }
    return null;
  }

  private reference(
    ref: Ref,
    next: Node | undefined,
    atRelation: boolean,
    withScope: ReadonlySet<string>,
    defines: boolean,
  ): string | null {
    const parts = unqualified(ref);
    if (next?.t === "group" && !defines)
      return `calls ${quoted(ref.parts)}(...), a function by a quoted or qualified name; a view may call only SQLite's functions the translator knows, by their plain names`;
    if (next?.t === "tok" && next.tok.kind === "string")
      return `names ${quoted(ref.parts)} before a string, which PostgreSQL reads as a value of that type`;
    if (atRelation) {
      if (parts.length > 1)
        return `reads ${quoted(ref.parts)}, a relation of another schema; a view may read only the export's tables and views`;
      const name = parts[0].value;
      if (!withScope.has(lower(name)) && !this.isExportRelation(name))
        return `reads ${quoted(parts)}, which is not a table or view of the export`;
      return null;
    }
    // table.column is the most a name holds; schema.table.column names another schema.
    if (parts.length > 2) return `names ${quoted(ref.parts)}, a column of another schema's relation`;
    return null;
  }

  private call(call: Extract<Node, { t: "call" }>, withScope: ReadonlySet<string>): string | null {
    if (!isViewFunction(call.name.text))
      return `calls ${call.name.text}(), which is not one of the SQLite functions the translator knows a PostgreSQL equivalent of`;
    return this.level(call.args, withScope, false);
  }
}

/** Why the view may not be recreated, naming the relation or function, or null when it may. */
export function vetView(view: ParsedView, isExportRelation: (name: string) => boolean): string | null {
  return new Vetting(isExportRelation).level(buildTree(view.body), new Set(), false);
}

/**
 * The export's views refused for what they read or call, before anything
 * reaches PostgreSQL (a view whose SQL cannot be read is no refusal here:
 * the load reports it as not created). `relations` are the export's tables
 * and views that the version holds, by their SQLite names.
 */
export function refusedViews(views: readonly { name: string; sql: string }[], relations: readonly string[]): ViewRefusal[] {
  const known = new Set(relations.map(lower));
  const refusals: ViewRefusal[] = [];
  for (const view of views) {
    let message: string | null;
    try {
      message = vetView(parseCreateView(view.sql), (name) => known.has(lower(name)));
    } catch (error) {
      if (error instanceof ViewSqlError) continue;
      throw error;
    }
    if (message !== null) refusals.push({ view: view.name, message });
  }
  return refusals;
}

/** The views of an inspected export refused before the load, against the tables its plan loads. */
export function refusedViewsOf(inspection: {
  readonly source: { readonly views: readonly { name: string; sql: string }[] };
  readonly plan: { readonly tables: readonly { readonly source: string }[] };
}): ViewRefusal[] {
  const { views } = inspection.source;
  return refusedViews(views, [...inspection.plan.tables.map((t) => t.source), ...views.map((v) => v.name)]);
}

/** The refusals a load's views report gives (vet.ts's and reach.ts's alike). */
export function refusalsOfReport(report: {
  readonly failed: readonly { name: string; error: string; refused?: boolean }[];
}): ViewRefusal[] {
  return report.failed.filter((f) => f.refused).map((f) => ({ view: f.name, message: f.error }));
}
