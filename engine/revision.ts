/**
 * The revision of what the engine stores for a given export and options.
 * Bump it whenever a converter, the cast table, widening or the loader
 * changes a stored value or type: it is part of every plan's fingerprint
 * and of the measure cache's key, so a version loaded (or a measure taken)
 * by an older engine is reloaded (or measured again), never adopted as if
 * it held what this engine would store.
 *
 * 2: values outside the sample widen their column; integers exact in text.
 * 3: a version holds the export's views PostgreSQL accepts.
 * 4: only views that read the export's own relations and call the functions
 *    a view may; each runs with its reader's rights (security_invoker); a
 *    declared size PostgreSQL cannot hold is unconstrained.
 * 5: numbers in date columns read by their magnitude (Julian days, Unix
 *    seconds to nanoseconds) within the date range; DEFAULT clauses by
 *    SQLite's rules (double-quoted strings, hexadecimal, blobs).
 */
export const STORAGE_REVISION = 5;
