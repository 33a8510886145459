/** When a buffer written to a socket may be filled again. */
import { Writable } from "node:stream";

const NOTHING = Buffer.alloc(0);

/**
 * Resolves once the socket holds no byte written to it so far. A write in
 * flight still refers to its buffer (COPY's data is written as it is, not
 * copied); writable callbacks run in order, so an empty write's callback
 * comes after those of every write before it. An error is the COPY
 * stream's to report: this only waits.
 */
export function socketDone(socket: Writable): Promise<void> {
  if (socket.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => socket.write(NOTHING, () => resolve()));
}
