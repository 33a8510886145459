/**
 * Rejects of one table go to a file in the run's scratch folder as they
 * come (memory stays flat however many there are), then into
 * <schema>._rejects with COPY once the table's own COPY has finished. The
 * file holds raw values of the export: mode 0600, in the scratch folder
 * (mode 0700) beside the backups, never the system temp folder.
 */
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, rmSync, WriteStream } from "node:fs";
import { once } from "node:events";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { Client } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { MigrationError } from "../errors";
import { csvField } from "../csv/csv";
import { copyRejectsSql } from "./ddl";
import { RejectRecord } from "./protocol";

const field = (value: string | null) => (value === null ? "" : csvField(value));

export class RejectSpool {
  private readonly file: string;
  private readonly out: WriteStream;
  /** A write that failed (a full disk): reported as SCRATCH_FAILED by the next write or the copy, not as an unhandled stream error. */
  private failure: Error | null = null;
  rejected = 0;
  nulled = 0;

  /** `scratchDirectory`: the run's scratch folder (scratch/scratch.ts). */
  constructor(
    scratchDirectory: string,
    private readonly table: string,
  ) {
    this.file = path.join(scratchDirectory, `rejects-${randomUUID()}.csv`);
    this.out = createWriteStream(this.file, { mode: 0o600, flags: "wx" });
    this.out.on("error", (error) => (this.failure = error));
  }

  async write(records: readonly RejectRecord[]): Promise<void> {
    let text = "";
    for (const r of records) {
      if (r.action === "rejected") this.rejected++;
      else this.nulled++;
      text += [this.table, r.rowKey, r.column, r.rawValue, r.reason, r.action].map(field).join(",") + "\n";
    }
    this.throwIfFailed();
    if (!this.out.write(text)) await once(this.out, "drain").catch(() => undefined);
    this.throwIfFailed();
  }

  /** Copies the spooled rejects into the schema's rejects table and removes the file. */
  async copyInto(client: Client, schema: string): Promise<void> {
    this.out.end();
    if (!this.out.closed) await once(this.out, "close").catch(() => undefined);
    this.throwIfFailed();
    if (this.rejected + this.nulled > 0) {
      await pipeline(createReadStream(this.file), client.query(copyFrom(copyRejectsSql(schema))));
    }
    this.discard();
  }

  private throwIfFailed(): void {
    if (this.failure)
      throw new MigrationError(
        "SCRATCH_FAILED",
        `the reject spool ${this.file} of table "${this.table}" cannot be written: ${this.failure.message}`,
        { cause: this.failure, table: this.table },
      );
  }

  discard(): void {
    if (!this.out.closed) this.out.destroy();
    rmSync(this.file, { force: true });
  }
}
