/**
 * The rewrites that make SQLite's comparison and concatenation rules
 * explicit, on one level of translated pieces: a comparison of a TEXT
 * column with an integer compares text, a timestamp column compared with
 * text compares the text SQLite stored, and || of an integer or timestamp
 * column concatenates the text SQLite would.
 */
import { quoteLiteral } from "../sql/identifiers";
import type { ColumnInfo } from "./translation-context";

/** What a translated piece of SQL is, as far as the rewrites need to know. */
export interface Out {
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

/** The comparison, BETWEEN and || rewrites, on one level's pieces. */
export function rewriteLevel(outs: Out[]): void {
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
      compare(sig[k - 1], [sig[k + 1]]);
      compare(sig[k + 1], [sig[k - 1]]);
    }
    if (op === "BETWEEN" && sig[k + 2]?.op === "AND" && isOperand(sig[k + 1]) && isOperand(sig[k + 3]) && freeAfter(k + 4)) {
      const subject = sig[k - 1]?.op === "NOT" ? k - 2 : k - 1;
      if (isOperand(sig[subject]) && freeBefore(subject - 1)) compare(sig[subject], [sig[k + 1], sig[k + 3]]);
    }
    // x IN (0, 1): SQLite compares each item with x's affinity, as a comparison does.
    if (op === "IN" && sig[k + 1].inner) {
      const subject = sig[k - 1]?.op === "NOT" ? k - 2 : k - 1;
      const items = sig[k + 1].inner!.filter((o) => o.kind !== "space" && o.op !== ",");
      if (isOperand(sig[subject]) && freeBefore(subject - 1)) compare(sig[subject], items);
      sig[k + 1].sql = `(${sig[k + 1].inner!.map((o) => o.sql).join("")})`;
    }
    if (op === "||") {
      for (const operand of [sig[k - 1], sig[k + 1]]) asText(operand);
    }
  }
}

/** `subject` compared with each of `others`: SQLite's affinity rules, made explicit. */
function compare(subject: Out, others: Out[]): void {
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
function asText(operand: Out | undefined): void {
  if (!operand) return;
  if (operand.kind === "int") Object.assign(operand, { sql: quoteLiteral(operand.literal!), kind: "text" });
  else if (operand.column && INTEGER_TYPES.has(operand.column.type) && !operand.sql.endsWith("::text"))
    operand.sql = `${operand.sql}::text`;
  else if (operand.column?.textFormat && !operand.sql.startsWith("to_char("))
    operand.sql = `to_char(${operand.sql}, ${quoteLiteral(operand.column.textFormat)})`;
}
