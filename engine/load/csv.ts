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

/**
 * Splits CSV text into rows: a newline ends a row only outside quotes.
 * Used to hash rows one by one when a table has no reproducible order.
 */
export function* csvRows(text: string): Generator<string> {
  let start = 0;
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) inQuotes = !inQuotes;
    else if (c === 10 /* \n */ && !inQuotes) {
      yield text.slice(start, i + 1);
      start = i + 1;
    }
  }
  if (start < text.length) yield text.slice(start);
}
