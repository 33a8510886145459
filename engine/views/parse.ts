/** The CREATE VIEW statement of SQLite's schema, down to the SELECT it names. */
import { isWord, Token, tokenize, TokenizeError } from "./tokens";

/** The view's SQL cannot be read: why, in words. */
export class ViewSqlError extends Error {}

export interface ParsedView {
  /** The SELECT (or WITH ... SELECT) after AS, as tokens. */
  readonly body: readonly Token[];
}

/** CREATE [TEMP] VIEW [IF NOT EXISTS] [schema.]name [(columns)] AS <select>: the select. */
export function parseCreateView(sql: string): ParsedView {
  let tokens: Token[];
  try {
    tokens = tokenize(sql);
  } catch (error) {
    if (error instanceof TokenizeError) throw new ViewSqlError(`its SQL cannot be read: ${error.message}`);
    throw error;
  }
  let depth = 0;
  let as = -1;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.text === "(") depth++;
    else if (t.text === ")") depth--;
    else if (depth === 0 && as < 0 && isWord(t, "AS")) as = i;
  }
  if (
    !isWord(
      tokens.find((t) => t.kind !== "space"),
      "CREATE",
    ) ||
    as < 0
  )
    throw new ViewSqlError("its SQL is not CREATE VIEW ... AS SELECT");
  const body = tokens.slice(as + 1);
  while (body.length > 0 && (body[body.length - 1].kind === "space" || body[body.length - 1].text === ";")) body.pop();
  // One statement only: the text goes into CREATE VIEW, and nothing may ride along after it.
  if (body.some((t) => t.text === ";")) throw new ViewSqlError("its SQL holds more than one statement");
  return { body };
}
