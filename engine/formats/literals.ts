/**
 * The texts SQLite columns hold that mean a number or a boolean: the one
 * rule the profiler counts with and the converters accept, so the gate and
 * the loader agree.
 */

export const PLAIN_INTEGER = /^-?\d+$/;
export const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * Spellings of true and false, compared case-insensitively after trimming
 * spaces. Maps, not object literals: "constructor" or "toString" must not
 * be found on an object's prototype and taken for true.
 */
export const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ["true", true],
  ["false", false],
  ["t", true],
  ["f", false],
  ["yes", true],
  ["no", false],
  ["y", true],
  ["n", false],
  ["on", true],
  ["off", false],
]);
export const BOOLEAN_DIGITS: ReadonlyMap<string, boolean> = new Map([
  ["1", true],
  ["0", false],
]);
