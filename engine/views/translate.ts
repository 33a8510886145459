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
import { isWord, Token } from "./tokens";
import { buildTree, lower, Node, RelationPositions, significant } from "./tree";

export interface ColumnInfo {
  /** The name in SQLite. */
  readonly source: string;
  /** The name in PostgreSQL. */
  readonly name: string;
  /** The PostgreSQL type, as format_type() gives it. */
  readonly type: string;
  readonly affinity: Affinity;
  /**
   * A to_char() pattern that gives back, value for value, the text SQLite
   * stored (every value was text in one ISO format), or null when unknown.
   */
  readonly textFormat: string | null;
}

export interface RelationInfo {
  /** The name in PostgreSQL. */
  readonly name: string;
  readonly columns: readonly ColumnInfo[];
}

export interface TranslationContext {
  /** A source table or view by its SQLite name (case-insensitive), or undefined. */
  relation(name: string): RelationInfo | undefined;
  /** SQLite's own result of a date/time call of literals, as a PostgreSQL literal; undefined when not foldable. */
  fold(call: string): string | undefined;
}

/** Relation references (FROM / JOIN positions) and their aliases, over the whole view. */
interface Scope {
  /** alias (lower case) -> relation name as written, or null for an alias of a subquery. */
  readonly aliases: Map<string, { written: string; relation: string | null }>;
  /** Relation names as written. */
  readonly relations: string[];
  /** Result-column aliases (lower case) -> as first written, so every reference gets one spelling. */
  readonly columnAliases: Map<string, string>;
}

function collectScope(nodes: readonly Node[], scope: Scope): void {
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

/** What a translated piece of SQL is, as far as the rewrites need to know. */
interface Out {
  sql: string;
  kind: "text" | "int" | "column" | "other" | "space" | "op";
  readonly column?: ColumnInfo;
  /** For "op": the operator or keyword, upper case. */
  readonly op?: string;
  /** For "int": the integer as written. */
  literal?: string;
  /** For a parenthesized list: its pieces, which a rewrite may change before `sql` is joined again. */
  readonly inner?: Out[];
}

const COMPARISONS = new Set(["=", "==", "<>", "!=", "<", "<=", ">", ">="]);
/** What may stand right before an operand of a comparison without binding it tighter. */
const CLAUSE_BOUNDARY = new Set(["AND", "OR", "NOT", "WHERE", "ON", "WHEN", "THEN", "ELSE", "HAVING", "SELECT", "CASE", ","]);
/** Operators that bind tighter than a comparison, so an operand next to one is not the comparison's. */
const TIGHTER = new Set(["+", "-", "*", "/", "%", "||", "&", "|", "<<", ">>", "COLLATE", "ESCAPE", "->", "->>"]);
const INTEGER_TYPES = new Set(["bigint", "integer", "smallint"]);
const DATE_FUNCTIONS = new Set(["date", "time", "datetime", "julianday", "strftime", "unixepoch"]);
/** strftime directives with a to_char() equivalent giving the same text. */
const STRFTIME: Record<string, string> = { d: "DD", f: "SS.MS", H: "HH24", j: "DDD", m: "MM", M: "MI", S: "SS", Y: "YYYY", "%": "%" };
const NOW_UTC = "(now() AT TIME ZONE 'UTC')";
const CAST_TYPES: Record<Affinity, string> = {
  INTEGER: "bigint",
  TEXT: "text",
  BLOB: "bytea",
  REAL: "double precision",
  NUMERIC: "numeric",
};

/** A to_char() pattern for strftime's format, or null when a directive has no exact equivalent. */
export function strftimePattern(format: string): string | null {
  let pattern = "";
  let literal = "";
  const flush = () => {
    if (literal) pattern += `"${literal.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    literal = "";
  };
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== "%") {
      literal += format[i];
      continue;
    }
    const directive = STRFTIME[format[++i]];
    if (directive === undefined) return null;
    if (directive === "%") literal += "%";
    else {
      flush();
      pattern += directive;
    }
  }
  flush();
  return pattern;
}

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
    this.rewrite(outs);
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

  /** The comparison, BETWEEN and || rewrites, on one level's pieces. */
  private rewrite(outs: Out[]): void {
    const sig = outs.filter((o) => o.kind !== "space");
    // A minus right after an operator or at the start makes the integer that follows negative.
    for (let k = sig.length - 2; k >= 0; k--) {
      const before = sig[k - 1];
      if (sig[k].op === "-" && sig[k + 1].kind === "int" && (before === undefined || before.kind === "op")) {
        sig[k + 1].sql = `-${sig[k + 1].sql}`;
        sig[k + 1].literal = `-${sig[k + 1].literal}`;
        outs.splice(outs.indexOf(sig[k]), 1);
        sig.splice(k, 1);
      }
    }
    const isOperand = (o: Out | undefined) => o !== undefined && o.kind !== "op";
    const freeBefore = (k: number) => sig[k] === undefined || (sig[k].kind === "op" && CLAUSE_BOUNDARY.has(sig[k].op!));
    const freeAfter = (k: number) => sig[k] === undefined || !(sig[k].kind === "op" && TIGHTER.has(sig[k].op!));
    for (let k = 1; k < sig.length - 1; k++) {
      const op = sig[k].op;
      if (
        op !== undefined &&
        COMPARISONS.has(op) &&
        isOperand(sig[k - 1]) &&
        isOperand(sig[k + 1]) &&
        freeBefore(k - 2) &&
        freeAfter(k + 2)
      ) {
        this.compare(sig[k - 1], [sig[k + 1]]);
        this.compare(sig[k + 1], [sig[k - 1]]);
      }
      if (op === "BETWEEN" && sig[k + 2]?.op === "AND" && isOperand(sig[k + 1]) && isOperand(sig[k + 3]) && freeAfter(k + 4)) {
        const subject = sig[k - 1]?.op === "NOT" ? k - 2 : k - 1;
        if (isOperand(sig[subject]) && freeBefore(subject - 1)) this.compare(sig[subject], [sig[k + 1], sig[k + 3]]);
      }
      // x IN (0, 1): SQLite compares each item with x's affinity, as a comparison does.
      if (op === "IN" && sig[k + 1].inner) {
        const subject = sig[k - 1]?.op === "NOT" ? k - 2 : k - 1;
        const items = sig[k + 1].inner!.filter((o) => o.kind !== "space" && o.op !== ",");
        if (isOperand(sig[subject]) && freeBefore(subject - 1)) this.compare(sig[subject], items);
        sig[k + 1].sql = `(${sig[k + 1].inner!.map((o) => o.sql).join("")})`;
      }
      if (op === "||") {
        for (const operand of [sig[k - 1], sig[k + 1]]) this.asText(operand);
      }
    }
  }

  /** `subject` compared with each of `others`: SQLite's affinity rules, made explicit. */
  private compare(subject: Out, others: Out[]): void {
    const column = subject.column;
    if (!column) return;
    if (column.affinity === "TEXT" && column.type === "text") {
      for (const other of others) if (other.kind === "int") Object.assign(other, { sql: quoteLiteral(other.literal!), kind: "text" });
    }
    if (column.textFormat && others.every((o) => o.kind === "text") && !subject.sql.startsWith("to_char(")) {
      subject.sql = `to_char(${subject.sql}, ${quoteLiteral(column.textFormat)}) COLLATE "C"`;
    }
  }

  /** An operand of || as the text SQLite would concatenate, where that is exact. */
  private asText(operand: Out | undefined): void {
    if (!operand) return;
    if (operand.kind === "int") Object.assign(operand, { sql: quoteLiteral(operand.literal!), kind: "text" });
    else if (operand.column && INTEGER_TYPES.has(operand.column.type) && !operand.sql.endsWith("::text"))
      operand.sql = `${operand.sql}::text`;
    else if (operand.column?.textFormat && !operand.sql.startsWith("to_char("))
      operand.sql = `to_char(${operand.sql}, ${quoteLiteral(operand.column.textFormat)})`;
  }
}

/** The view's SELECT in PostgreSQL's SQL, relations unqualified (the caller pins search_path). */
export function translateView(view: ParsedView, ctx: TranslationContext): string {
  return new Translator(ctx).translate(view);
}
