/**
 * A view's SELECT as a tree of the pieces the rewrites and the checks need:
 * tokens, parenthesized groups, calls (a word and its arguments) and name
 * references (`a`, `t.a`, `t.*`). It is no full SQL grammar: what it does
 * not know passes through as tokens.
 */
import { isWord, Token } from "./tokens";
import { ViewSqlError } from "./parse";

export type Node =
  | { readonly t: "tok"; readonly tok: Token }
  | { readonly t: "group"; readonly items: readonly Node[] }
  | { readonly t: "call"; readonly name: Token; readonly space: string; readonly args: readonly Node[] }
  | { readonly t: "ref"; readonly parts: readonly Token[]; readonly star: boolean };

/** Words that are never identifiers in a view (SQLite's keywords that can start or join a clause). */
export const KEYWORDS = new Set(
  (
    "ALL AND AS ASC BETWEEN BY CASE CAST COLLATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP DESC DISTINCT " +
    "ELSE END ESCAPE EXCEPT EXISTS FALSE FILTER FIRST FOLLOWING FROM FULL GLOB GROUP GROUPS HAVING IN INDEXED INNER " +
    "INTERSECT IS ISNULL JOIN LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NOT NOTNULL NULL NULLS OFFSET ON OR ORDER " +
    "OTHERS OUTER OVER PARTITION PRECEDING RANGE RECURSIVE REGEXP RIGHT ROW ROWS SELECT THEN TIES TRUE UNBOUNDED UNION " +
    "USING VALUES WHEN WHERE WINDOW WITH"
  ).split(" "),
);
/** Keywords that are also functions when a parenthesis follows. */
export const KEYWORD_FUNCTIONS = new Set(["CAST", "GLOB", "LIKE", "REPLACE", "MATCH", "REGEXP"]);

export const isIdentifier = (t: Token | undefined): t is Token =>
  t !== undefined && (t.kind === "quoted" || (t.kind === "word" && !KEYWORDS.has(t.text.toUpperCase())));

export function buildTree(tokens: readonly Token[]): Node[] {
  let i = 0;
  const nextSignificant = (from: number) => {
    let j = from;
    while (j < tokens.length && tokens[j].kind === "space") j++;
    return j;
  };
  const sequence = (closing: boolean): Node[] => {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const t = tokens[i];
      if (t.text === ")") {
        if (!closing) throw new ViewSqlError("its SQL has an unbalanced parenthesis");
        i++;
        return nodes;
      }
      if (t.text === "(") {
        i++;
        nodes.push({ t: "group", items: sequence(true) });
        continue;
      }
      const after = nextSignificant(i + 1);
      const upper = t.kind === "word" ? t.text.toUpperCase() : "";
      if (t.kind === "word" && tokens[after]?.text === "(" && (!KEYWORDS.has(upper) || KEYWORD_FUNCTIONS.has(upper))) {
        const space = tokens
          .slice(i + 1, after)
          .map((s) => s.text)
          .join("");
        i = after + 1;
        nodes.push({ t: "call", name: t, space, args: sequence(true) });
        continue;
      }
      if (isIdentifier(t)) {
        const parts = [t];
        let star = false;
        i++;
        // After a dot even a keyword is a name (t.order).
        while (
          tokens[i]?.text === "." &&
          (tokens[i + 1]?.kind === "word" || tokens[i + 1]?.kind === "quoted" || tokens[i + 1]?.text === "*")
        ) {
          if (tokens[i + 1].text === "*") star = true;
          else parts.push(tokens[i + 1]);
          i += 2;
          if (star) break;
        }
        nodes.push({ t: "ref", parts, star });
        continue;
      }
      nodes.push({ t: "tok", tok: t });
      i++;
    }
    if (closing) throw new ViewSqlError("its SQL has an unbalanced parenthesis");
    return nodes;
  };
  return sequence(false);
}

export const significant = (nodes: readonly Node[]) => nodes.filter((n) => !(n.t === "tok" && n.tok.kind === "space"));
export const lower = (s: string) => s.toLowerCase();

/** Words that end a FROM list. */
const FROM_LIST_ENDS = ["ON", "USING", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "INTERSECT", "EXCEPT", "WINDOW", "SELECT"];

/**
 * Follows one level's tokens to tell where a relation is named: right after
 * FROM or JOIN, and after a comma in a FROM list.
 */
export class RelationPositions {
  private expecting = false;
  private inFromList = false;

  /** Whether the level is inside a FROM list now (a relation's alias, not a column's, follows AS there). */
  get inFrom(): boolean {
    return this.inFromList;
  }

  /** Takes one significant token of the level. */
  see(tok: Token): void {
    if (isWord(tok, "FROM", "JOIN")) {
      this.expecting = true;
      this.inFromList = true;
    } else if (tok.text === "," && this.inFromList) this.expecting = true;
    else if (isWord(tok, ...FROM_LIST_ENDS)) this.inFromList = false;
  }

  /** Whether the piece read now (anything but a token) stands where a relation is named. */
  take(): boolean {
    const expecting = this.expecting;
    this.expecting = false;
    return expecting;
  }
}
