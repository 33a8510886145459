/**
 * The functions a recreated view may call: SQLite's functions that
 * PostgreSQL has under the same name and meaning, and those the translator
 * rewrites. A view is refused, naming the function, when it calls anything
 * else, before its SQL reaches PostgreSQL (vet.ts); and once PostgreSQL has
 * parsed it, every function it calls by name is checked against
 * `postgres` again (reach.ts). An export is untrusted: a view of it must
 * never reach the server's files, settings, sessions or locks
 * (pg_read_file, current_setting, pg_terminate_backend, pg_advisory_lock),
 * nor run other SQL (query_to_xml), whoever reads it.
 */

export interface ViewFunction {
  /** The PostgreSQL functions its translation calls by name. */
  readonly postgres: readonly string[];
  /** Why it is allowed: the same meaning, or the rewrite. */
  readonly why: string;
}

const SAME = "PostgreSQL's function of that name gives SQLite's result";
const same = (name: string, why = SAME): ViewFunction => ({ postgres: [name], why });
const REWRITTEN_DATE = "of literals, evaluated by SQLite; of 'now' or a timestamp column, to_char(); otherwise PostgreSQL refuses it";

/** By SQLite's name, lower case. */
export const VIEW_FUNCTIONS: Readonly<Record<string, ViewFunction>> = {
  abs: same("abs"),
  avg: same("avg"),
  coalesce: same("coalesce"),
  concat: same("concat"),
  count: same("count"),
  max: same("max", "the aggregate (SQLite's two-argument max has no PostgreSQL function of that name, which PostgreSQL refuses)"),
  min: same("min", "the aggregate (as max)"),
  sum: same("sum"),
  nullif: same("nullif"),
  length: same("length"),
  lower: same("lower", "the same for ASCII; PostgreSQL also folds other letters, SQLite does not"),
  upper: same("upper", "the same for ASCII; PostgreSQL also folds other letters, SQLite does not"),
  ltrim: same("ltrim"),
  rtrim: same("rtrim"),
  trim: { postgres: ["btrim"], why: "trim(x) and trim(x, chars) are PostgreSQL's btrim" },
  replace: same("replace"),
  substr: same("substr"),
  substring: same("substring"),
  row_number: same("row_number"),
  rank: same("rank"),
  dense_rank: same("dense_rank"),
  percent_rank: same("percent_rank"),
  cume_dist: same("cume_dist"),
  ntile: same("ntile"),
  lag: same("lag"),
  lead: same("lead"),
  first_value: same("first_value"),
  last_value: same("last_value"),
  nth_value: same("nth_value"),
  ifnull: { postgres: [], why: "becomes COALESCE" },
  cast: { postgres: [], why: "CAST to the PostgreSQL type of the SQLite type's affinity" },
  like: { postgres: [], why: "x LIKE (pattern): the LIKE operator" },
  // PostgreSQL's date() of a column the translator cannot rewrite is its cast to date.
  date: { postgres: ["to_char", "now", "date"], why: REWRITTEN_DATE },
  time: { postgres: ["to_char", "now"], why: REWRITTEN_DATE },
  datetime: { postgres: ["to_char", "now"], why: REWRITTEN_DATE },
  strftime: { postgres: ["to_char", "now"], why: REWRITTEN_DATE },
  julianday: { postgres: [], why: "of literals, evaluated by SQLite; otherwise PostgreSQL refuses it" },
  unixepoch: { postgres: [], why: "of literals, evaluated by SQLite; otherwise PostgreSQL refuses it" },
};

/**
 * PostgreSQL functions a recreated view may call by name: those above, and
 * timezone() of the translator's `now() AT TIME ZONE 'UTC'`.
 */
export const VIEW_POSTGRES_FUNCTIONS: ReadonlySet<string> = new Set([
  ...Object.values(VIEW_FUNCTIONS).flatMap((f) => f.postgres),
  "timezone",
]);

export function isViewFunction(sqliteName: string): boolean {
  return Object.hasOwn(VIEW_FUNCTIONS, sqliteName.toLowerCase());
}
