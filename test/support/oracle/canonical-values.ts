/**
 * Canonical values, the common ground on which both sides are compared, and
 * the requests for the ones only PostgreSQL can compute.
 */

/** A canonical value: null = SQL NULL, "=..." a value, "!..." a value that cannot match anything (why). */
export type Canon = string | null;

/** A canonical value that PostgreSQL must compute: `kind` names the input function (see REFEREE_SQL in referee.ts). */
export class Ask {
  constructor(
    readonly kind: string,
    readonly text: string,
  ) {}
}

export type Probe = Canon | Ask;

export const value = (text: string): Canon => `=${text}`;
export const refusal = (why: string): Canon => `!${why}`;
