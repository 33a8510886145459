/** An SQL identifier quoted the way both SQLite and PostgreSQL read it. */

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
