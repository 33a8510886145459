/** SQLite's strftime() formats as PostgreSQL to_char() patterns, where they give the same text. */

/** strftime directives with a to_char() equivalent giving the same text. */
const STRFTIME: Record<string, string> = { d: "DD", f: "SS.MS", H: "HH24", j: "DDD", m: "MM", M: "MI", S: "SS", Y: "YYYY", "%": "%" };

/** A to_char() pattern for strftime's format, or null when a directive has no exact equivalent. */
export function strftimePattern(format: string): string | null {
  let pattern = "";
  let literal = "";
  const flush = () => {
    if (literal) pattern += `"${literal.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    literal = "";
  };
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== "%") {
      literal += format[i];
      continue;
    }
    const directive = STRFTIME[format[++i]];
    if (directive === undefined) return null;
    if (directive === "%") literal += "%";
    else {
      flush();
      pattern += directive;
    }
  }
  flush();
  return pattern;
}
