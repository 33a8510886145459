/**
 * A copy of the CSV a table's COPY sent, in the run's scratch folder (mode
 * 0600): the canary's sample, which the load that goes on from it sends
 * again instead of reading and converting it from the export a second time.
 * Keeping it only saves that work: when the disk refuses it (full), the
 * copy is dropped and the load reads the table whole.
 */
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { describeError } from "../errors";

export class SentCopy {
  private fd: number | null = null;
  /** Why the copy was dropped, if it was. */
  failure: string | null = null;

  constructor(readonly file: string) {
    try {
      this.fd = openSync(file, "w", 0o600);
    } catch (error) {
      this.drop(error);
    }
  }

  write(data: Buffer): void {
    if (this.fd === null) return;
    try {
      // A write may take part of the bytes (a disk filling up): the rest follows, or the error.
      for (let at = 0; at < data.length;) at += writeSync(this.fd, data, at, data.length - at);
    } catch (error) {
      this.drop(error);
    }
  }

  /** Closes it: the file when every byte sent is in it, else null (and no file). */
  close(): string | null {
    if (this.fd === null) return null;
    try {
      closeSync(this.fd);
      this.fd = null;
      return this.file;
    } catch (error) {
      this.fd = null;
      this.drop(error);
      return null;
    }
  }

  /** Removes it: the COPY it copied did not stand. */
  discard(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.file, { force: true });
  }

  private drop(error: unknown): void {
    this.failure ??= describeError(error);
    this.discard();
  }
}
