/**
 * CSV fields exactly as PostgreSQL's COPY ... (FORMAT csv) writes them, so
 * the bytes loaded are the bytes a read-back returns: quoted only when the
 * field holds a comma, a quote, CR or LF, "" for the empty string, nothing
 * for NULL.
 */

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(text: string): string {
  if (text.length === 0) return '""';
  if (!NEEDS_QUOTES.test(text)) return text;
  return `"${text.replaceAll('"', '""')}"`;
}
