/**
 * SQLite view SQL to PostgreSQL, by rewriting tokens: only rewrites that
 * give exactly SQLite's result are made, everything else passes as written
 * and PostgreSQL decides (a refusal is reported with its own message).
 *
 *  - identifiers ([x], `x`, "x", bare) become quoted PostgreSQL names through
 *    the plan's table and column names (which a rename map may change);
 *  - IFNULL becomes COALESCE, `==` becomes `=`;
 *  - date(), time(), datetime(), julianday(), strftime() and unixepoch() of
 *    literals are evaluated by SQLite itself into a literal; date(), time(),
 *    datetime() and strftime() of 'now' or of a timestamp column become
 *    to_char() with the same text (strftime's %Y %m %d %H %M %S %f %j only);
 *    CURRENT_DATE, CURRENT_TIME, CURRENT_TIMESTAMP become the UTC text SQLite gives;
 *  - a comparison of a timestamp column with text compares the text SQLite
 *    stored (to_char in the column's one stored format, bytewise), as SQLite does;
 *  - a comparison (=, <, BETWEEN, IN) of a TEXT-affinity column with an integer
 *    compares text, as SQLite's affinity rule does (Discontinued = 0 is Discontinued = '0');
 *  - `||` of an integer or a timestamp column (or an integer literal) casts it to the text SQLite gives.
 */
import { quoteIdent, quoteLiteral } from "../sql/identifiers";
import { Affinity, affinityOf } from "../types/declared";
import { ParsedView } from "./parse";
import { Out, rewriteLevel } from "./rewrites";
import { collectScope, Scope } from "./scope";
import { strftimePattern } from "./strftime";
import { isWord, Token } from "./tokens";
import { buildTree, lower, Node, RelationPositions, significant } from "./tree";
import type { ColumnInfo, RelationInfo, TranslationContext } from "./translation-context";

const DATE_FUNCTIONS = new Set(["date", "time", "datetime", "julianday", "strftime", "unixepoch"]);
const NOW_UTC = "(now() AT TIME ZONE 'UTC')";
const CAST_TYPES: Record<Affinity, string> = {
  INTEGER: "bigint",
  TEXT: "text",
  BLOB: "bytea",
  REAL: "double precision",
  NUMERIC: "numeric",
};

class Translator {
  private readonly scope: Scope = { aliases: new Map(), relations: [], columnAliases: new Map() };

  constructor(private readonly ctx: TranslationContext) {}

  translate(view: ParsedView): string {
    const tree = buildTree(view.body);
    collectScope(tree, this.scope);
    return this.sequence(tree)
      .map((o) => o.sql)
      .join("");
  }

  private relationOf(qualifier: string): { sql: string; info: RelationInfo | undefined } {
    const alias = this.scope.aliases.get(lower(qualifier));
    if (alias) return { sql: quoteIdent(alias.written), info: alias.relation === null ? undefined : this.ctx.relation(alias.relation) };
    const info = this.ctx.relation(qualifier);
    return { sql: quoteIdent(info?.name ?? qualifier), info };
  }

  /** An unqualified name: the one column of that name among the view's relations, else an alias, else as written. */
  private unqualified(name: string): Out {
    const found = new Map<string, ColumnInfo>();
    for (const relation of this.scope.relations) {
      const column = this.ctx.relation(relation)?.columns.find((c) => lower(c.source) === lower(name));
      if (column) found.set(lower(relation), column);
    }
    const columns = [...found.values()];
    if (columns.length > 0 && columns.every((c) => c.name === columns[0].name)) {
      const same = columns.every(
        (c) => c.type === columns[0].type && c.affinity === columns[0].affinity && c.textFormat === columns[0].textFormat,
      );
      return same
        ? { sql: quoteIdent(columns[0].name), kind: "column", column: columns[0] }
        : { sql: quoteIdent(columns[0].name), kind: "other" };
    }
    return { sql: quoteIdent(this.scope.columnAliases.get(lower(name)) ?? name), kind: "other" };
  }

  private ref(node: Extract<Node, { t: "ref" }>, relationPosition: boolean): Out {
    const parts = node.parts.length > 1 && lower(node.parts[0].value) === "main" ? node.parts.slice(1) : node.parts;
    if (relationPosition)
      return { sql: quoteIdent(this.ctx.relation(parts[parts.length - 1].value)?.name ?? parts[parts.length - 1].value), kind: "other" };
    if (node.star) return { sql: `${this.relationOf(parts[0].value).sql}.*`, kind: "other" };
    if (parts.length === 1) return this.unqualified(parts[0].value);
    const relation = this.relationOf(parts[0].value);
    const column = relation.info?.columns.find((c) => lower(c.source) === lower(parts[1].value));
    return column
      ? { sql: `${relation.sql}.${quoteIdent(column.name)}`, kind: "column", column }
      : { sql: `${relation.sql}.${quoteIdent(parts[1].value)}`, kind: "other" };
  }

  private sequence(nodes: readonly Node[]): Out[] {
    const outs: Out[] = [];
    const positions = new RelationPositions();
    for (const n of nodes) {
      if (n.t === "tok") {
        const tok = n.tok;
        if (tok.kind === "space") {
          outs.push({ sql: tok.value, kind: "space" });
          continue;
        }
        positions.see(tok);
        outs.push(this.token(tok));
        continue;
      }
      const relationPosition = positions.take() && n.t === "ref";
      if (n.t === "ref") outs.push(this.ref(n, relationPosition));
      else if (n.t === "group") outs.push(this.group(n.items));
      else outs.push(this.call(n));
    }
    rewriteLevel(outs);
    return outs;
  }

  /** A parenthesized piece; one operand in parentheses is still that operand for the rewrites. */
  private group(nodes: readonly Node[]): Out {
    const inner = this.sequence(nodes);
    const operands = inner.filter((o) => o.kind !== "space");
    const sql = `(${inner.map((o) => o.sql).join("")})`;
    if (operands.length !== 1 || operands[0].kind === "op") return { sql, kind: "other", inner };
    return { ...operands[0], sql, inner };
  }

  private joined(nodes: readonly Node[]): string {
    return this.sequence(nodes)
      .map((o) => o.sql)
      .join("");
  }

  private token(tok: Token): Out {
    if (tok.kind === "string") return { sql: quoteLiteral(tok.value), kind: "text" };
    if (tok.kind === "number")
      return /^[0-9]+$/.test(tok.text) ? { sql: tok.text, kind: "int", literal: tok.text } : { sql: tok.text, kind: "other" };
    if (tok.kind === "blob") return { sql: `'\\x${tok.value}'::bytea`, kind: "other" };
    if (tok.text === "==") return { sql: "=", kind: "op", op: "=" };
    if (isWord(tok, "CURRENT_DATE")) return { sql: `to_char(${NOW_UTC}, 'YYYY-MM-DD')`, kind: "text" };
    if (isWord(tok, "CURRENT_TIME")) return { sql: `to_char(${NOW_UTC}, 'HH24:MI:SS')`, kind: "text" };
    if (isWord(tok, "CURRENT_TIMESTAMP")) return { sql: `to_char(${NOW_UTC}, 'YYYY-MM-DD HH24:MI:SS')`, kind: "text" };
    return { sql: tok.text, kind: "op", op: tok.text.toUpperCase() };
  }

  /** Top-level comma-separated arguments of a call. */
  private argumentsOf(args: readonly Node[]): Node[][] {
    const list: Node[][] = [[]];
    for (const n of args) {
      if (n.t === "tok" && n.tok.text === ",") list.push([]);
      else list[list.length - 1].push(n);
    }
    return list;
  }

  private call(node: Extract<Node, { t: "call" }>): Out {
    const name = lower(node.name.text);
    const written = `${node.name.text}${node.space}(${this.joined(node.args)})`;
    if (name === "ifnull") return { sql: `COALESCE(${this.joined(node.args)})`, kind: "other" };
    if (name === "cast") return this.cast(node) ?? { sql: written, kind: "other" };
    if (DATE_FUNCTIONS.has(name)) return this.dateCall(node, name) ?? { sql: written, kind: "other" };
    return { sql: written, kind: "other" };
  }

  /** CAST(x AS type) with SQLite's type name as the PostgreSQL type of its affinity. */
  private cast(node: Extract<Node, { t: "call" }>): Out | undefined {
    const sig = significant(node.args);
    const as = sig.findIndex((n) => n.t === "tok" && isWord(n.tok, "AS"));
    if (as < 0) return undefined;
    const typeName = sig
      .slice(as + 1)
      .map((n) => (n.t === "ref" ? n.parts.map((p) => p.value).join(".") : n.t === "tok" ? n.tok.text : ""))
      .join(" ");
    const expression = node.args.slice(0, node.args.indexOf(sig[as]));
    const affinity = affinityOf(typeName);
    return { sql: `CAST(${this.joined(expression)} AS ${CAST_TYPES[affinity]})`, kind: affinity === "TEXT" ? "text" : "other" };
  }

  /** A timestamp expression SQLite would read the same way: 'now', or a column whose stored text is known. */
  private timeValue(arg: readonly Node[]): string | undefined {
    const sig = significant(arg);
    if (sig.length !== 1) return undefined;
    const n = sig[0];
    if (n.t === "tok" && n.tok.kind === "string" && lower(n.tok.value) === "now") return NOW_UTC;
    if (n.t !== "ref") return undefined;
    const out = this.ref(n, false);
    return out.column?.textFormat ? out.sql : undefined;
  }

  private dateCall(node: Extract<Node, { t: "call" }>, name: string): Out | undefined {
    const args = this.argumentsOf(node.args);
    const literals = args.every((a) => {
      const sig = significant(a);
      return sig.length === 1 && sig[0].t === "tok" && (sig[0].tok.kind === "string" || sig[0].tok.kind === "number");
    });
    const mentionsNow = args.some((a) => significant(a).some((n) => n.t === "tok" && n.tok.kind === "string" && /now/i.test(n.tok.value)));
    if (literals && !mentionsNow) {
      const folded = this.ctx.fold(`${name}(${args.map((a) => (significant(a)[0] as { tok: Token }).tok.text).join(", ")})`);
      if (folded !== undefined) return { sql: folded, kind: folded.startsWith("'") ? "text" : "other" };
    }
    const patterns: Record<string, string> = { date: "YYYY-MM-DD", time: "HH24:MI:SS", datetime: "YYYY-MM-DD HH24:MI:SS" };
    if (patterns[name] !== undefined && args.length === 1) {
      const value = this.timeValue(args[0]);
      if (value) return { sql: `to_char(${value}, ${quoteLiteral(patterns[name])})`, kind: "text" };
    }
    if (name === "strftime" && args.length === 2) {
      const format = significant(args[0]);
      const value = this.timeValue(args[1]);
      if (value && format.length === 1 && format[0].t === "tok" && format[0].tok.kind === "string") {
        const pattern = strftimePattern(format[0].tok.value);
        if (pattern !== null) return { sql: `to_char(${value}, ${quoteLiteral(pattern)})`, kind: "text" };
      }
    }
    return undefined;
  }
}

/** The view's SELECT in PostgreSQL's SQL, relations unqualified (the caller pins search_path). */
export function translateView(view: ParsedView, ctx: TranslationContext): string {
  return new Translator(ctx).translate(view);
}
