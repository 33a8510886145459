/** How values are shown in a difference. */

import type { Canon } from "./canonical-values";
import { bytesOf, isText, numberText, realText, SqliteValue } from "./sqlite-values";

export function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

export function showSqlite(v: SqliteValue): string {
  if (v === null) return "NULL";
  if (typeof v === "bigint") return `integer ${v}`;
  if (typeof v === "number") return `real ${realText(v)}`;
  if (typeof v === "string") return `text ${clip(JSON.stringify(v))}`;
  return `${isText(v) ? "text" : "blob"} x'${clip(bytesOf(v).toString("hex"))}'`;
}

/** The value's own text, to tell whether its canonical form is worth showing. */
export function plainText(v: SqliteValue): string | null {
  if (typeof v === "bigint" || typeof v === "number") return numberText(v);
  return typeof v === "string" ? v : null;
}

/** A shown value followed by its canonical form when that says more (an epoch, a refusal). */
export function withCanon(shown: string, plain: string | null, canon: Canon): string {
  if (canon === null) return shown;
  if (canon.startsWith("!")) return `${shown} (${canon.slice(1)})`;
  return canon.slice(1) === plain ? shown : `${shown} = ${clip(canon.slice(1))}`;
}
