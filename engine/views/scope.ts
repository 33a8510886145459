/** The relations a view's SQL reads and the aliases it gives them, over the whole view. */
import { ParsedView } from "./parse";
import { isWord, Token } from "./tokens";
import { buildTree, lower, Node, RelationPositions, significant } from "./tree";

export interface Scope {
  /** alias (lower case) -> relation name as written, or null for an alias of a subquery. */
  readonly aliases: Map<string, { written: string; relation: string | null }>;
  /** Relation names as written. */
  readonly relations: string[];
  /** Result-column aliases (lower case) -> as first written, so every reference gets one spelling. */
  readonly columnAliases: Map<string, string>;
}

export function collectScope(nodes: readonly Node[], scope: Scope): void {
  const sig = significant(nodes);
  const positions = new RelationPositions();
  for (let k = 0; k < sig.length; k++) {
    const n = sig[k];
    if (n.t === "group") collectScope(n.items, scope);
    if (n.t === "call") collectScope(n.args, scope);
    if (n.t === "tok") {
      const tok = n.tok;
      positions.see(tok);
      if (isWord(tok, "AS") && sig[k + 1]?.t === "ref" && !(sig[k + 1] as { star: boolean }).star) {
        const alias = (sig[k + 1] as { parts: readonly Token[] }).parts[0].value;
        if (!positions.inFrom && !scope.columnAliases.has(lower(alias))) scope.columnAliases.set(lower(alias), alias);
      }
      continue;
    }
    if (!positions.take()) continue;
    let relation: string | null = null;
    if (n.t === "ref") {
      // main.table: the schema name of SQLite's main database says nothing in PostgreSQL.
      relation = n.parts[n.parts.length - 1].value;
      scope.relations.push(relation);
    } else if (n.t !== "group") continue;
    let next = sig[k + 1];
    if (next?.t === "tok" && isWord(next.tok, "AS")) next = sig[k + 2];
    if (next?.t === "ref" && next.parts.length === 1) {
      const alias = next.parts[0].value;
      scope.aliases.set(lower(alias), { written: alias, relation });
    }
  }
}

/** The source relations a view's SQL reads, as written (tables and views alike). */
export function referencedRelations(view: ParsedView): string[] {
  const scope: Scope = { aliases: new Map(), relations: [], columnAliases: new Map() };
  collectScope(buildTree(view.body), scope);
  return [...new Set(scope.relations)];
}
