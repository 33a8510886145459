/** Figures and text as Markdown tables show them (the run report, the review). */

/** A count with thousands separators: 51,000. */
export const count = (value: number): string => value.toLocaleString("en-US");

/** A change with its sign: +1,000, -20, 0. */
export const signed = (value: number): string => (value > 0 ? `+${count(value)}` : count(value));

/** Text safe in a table cell: a pipe escaped, lines joined. */
export const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
