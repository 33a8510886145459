/** Words for the shell lines the engine hands out (restore, cutover, rollback). */

/** Single-quotes a word for a POSIX shell: nothing inside is expanded. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
