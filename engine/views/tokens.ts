/**
 * A tokenizer for SQLite's SQL, enough to rewrite a view's SELECT: it tells
 * identifiers (bare, "double", [bracket] and `backtick` quoted) from string
 * literals, numbers, operators and the rest, and keeps spaces and comments
 * so the translated text reads like the original.
 */

export type TokenKind = "word" | "quoted" | "string" | "number" | "blob" | "op" | "space";

export interface Token {
  readonly kind: TokenKind;
  /** The text as written. */
  readonly text: string;
  /**
   * For "quoted": the identifier without its quotes; for "string": the value;
   * for "space": what PostgreSQL is given in its place (whitespace as written,
   * a comment as one space); else the text.
   */
  readonly value: string;
}

/** The SQL cannot be tokenized (an unterminated string or quote): it names where. */
export class TokenizeError extends Error {}

/**
 * SQLite's whitespace (tokenize.c): nothing else separates tokens. A
 * no-break space and the like are identifier characters in SQLite and in
 * PostgreSQL alike, never a separator.
 */
const WHITESPACE = /[ \t\n\f\r]/;

const OPERATORS = ["||", "==", "!=", "<>", "<=", ">=", "<<", ">>", "->>", "->"].sort((a, b) => b.length - a.length);
const SINGLE = "(),.;+-*/%<>=~&|";

function readQuoted(sql: string, start: number, close: string, doubled: boolean): { end: number; value: string } {
  let value = "";
  let i = start + 1;
  for (;;) {
    const at = sql.indexOf(close, i);
    if (at < 0) throw new TokenizeError(`unterminated ${sql[start]} at offset ${start}`);
    value += sql.slice(i, at);
    if (doubled && sql[at + 1] === close) {
      value += close;
      i = at + 2;
      continue;
    }
    return { end: at + 1, value };
  }
}

export function tokenize(sql: string): Token[] {
  // PostgreSQL takes no NUL in a query's text, in a literal or a name alike.
  const nul = sql.indexOf("\0");
  if (nul >= 0) throw new TokenizeError(`a NUL character at offset ${nul}`);
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number, value?: string) => {
    const text = sql.slice(i, end);
    tokens.push({ kind, text, value: value ?? text });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i];
    const rest = sql.slice(i, i + 3);
    if (WHITESPACE.test(c)) {
      let end = i;
      while (end < sql.length && WHITESPACE.test(sql[end])) end++;
      push("space", end);
    } else if (rest.startsWith("--")) {
      const nl = sql.indexOf("\n", i);
      push("space", nl < 0 ? sql.length : nl, " ");
    } else if (rest.startsWith("/*")) {
      const close = sql.indexOf("*/", i + 2);
      // A comment reaches PostgreSQL as one space, never as its text: PostgreSQL
      // nests block comments where SQLite does not (`/* /* */ 'x */ ...` hides
      // different text from each), and SQLite lets one run to the end.
      push("space", close < 0 ? sql.length : close + 2, " ");
    } else if (c === "'") {
      const { end, value } = readQuoted(sql, i, "'", true);
      push("string", end, value);
    } else if ((c === "x" || c === "X") && sql[i + 1] === "'") {
      const close = sql.indexOf("'", i + 2);
      if (close < 0) throw new TokenizeError(`unterminated blob literal at offset ${i}`);
      push("blob", close + 1, sql.slice(i + 2, close));
    } else if (c === '"' || c === "`") {
      const { end, value } = readQuoted(sql, i, c, true);
      push("quoted", end, value);
    } else if (c === "[") {
      const { end, value } = readQuoted(sql, i, "]", false);
      push("quoted", end, value);
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(sql[i + 1] ?? ""))) {
      const match = /^(0[xX][0-9a-fA-F]+|([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?)/.exec(sql.slice(i))!;
      push("number", i + match[0].length);
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let end = i + 1;
      while (end < sql.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[end])) end++;
      push("word", end);
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i));
      if (op) push("op", i + op.length);
      else if (SINGLE.includes(c)) push("op", i + 1);
      else throw new TokenizeError(`unexpected character ${JSON.stringify(c)} at offset ${i}`);
    }
  }
  return tokens;
}

/** Whether a word token is `keyword` (case-insensitive). */
export function isWord(token: Token | undefined, ...keywords: string[]): boolean {
  return token !== undefined && token.kind === "word" && keywords.includes(token.text.toUpperCase());
}
