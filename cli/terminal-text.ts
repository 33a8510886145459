/**
 * Text for a terminal. Names and values come from the export, which is
 * untrusted: a table named with an escape sequence must not move the
 * cursor, clear the screen or retitle the window of the person reading the
 * output. Control characters other than a newline and a tab are shown as
 * \xNN (or \uNNNN) instead.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;

export function terminalText(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
