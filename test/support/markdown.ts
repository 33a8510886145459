/** Markdown read back as a reader's renderer reads it (markdown-it): its tables, each under its heading. */
import MarkdownIt from "markdown-it";

export interface MarkdownTable {
  /** The nearest heading above the table ("" when none). */
  readonly heading: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export function markdownTables(markdown: string): MarkdownTable[] {
  const tokens = new MarkdownIt().parse(markdown, {});
  const tables: MarkdownTable[] = [];
  let heading = "";
  let current: { header: string[]; rows: string[][] } | null = null;
  let row: string[] | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.type === "heading_open") heading = tokens[i + 1].content;
    else if (token.type === "table_open") current = { header: [], rows: [] };
    else if (token.type === "tr_open") row = [];
    else if ((token.type === "th_open" || token.type === "td_open") && row) row.push(tokens[i + 1].content);
    else if (token.type === "tr_close" && current && row) {
      if (current.header.length === 0) current.header = row;
      else current.rows.push(row);
      row = null;
    } else if (token.type === "table_close" && current) {
      tables.push({ heading, ...current });
      current = null;
    }
  }
  return tables;
}

/** The table under `heading`; throws naming the headings there are when it is missing. */
export function tableUnder(tables: readonly MarkdownTable[], heading: string): MarkdownTable {
  const table = tables.find((t) => t.heading === heading);
  if (!table) throw new Error(`no table under "${heading}"; tables under: ${tables.map((t) => `"${t.heading}"`).join(", ")}`);
  return table;
}

/** A figure as a table shows it ("1,500", "+300", "-20"), or null for "-". */
export function figure(cell: string): number | null {
  if (cell === "-") return null;
  const value = Number(cell.replace(/,/g, ""));
  if (!Number.isFinite(value)) throw new Error(`not a figure: "${cell}"`);
  return value;
}
