/**
 * Turns one SQLite row into one CSV line for COPY, applying the bad-value
 * policy: a value that cannot be converted rejects the row, is set to NULL
 * (recorded), or fails the load naming table, column and row. Rows set
 * aside before loading (orphans, NULL keys) and rows pointing at rejected
 * parent rows follow the same policy. Nothing is dropped silently.
 *
 * A value the column's type cannot hold exactly (a Widening) switches the
 * encoder to surveying: no more lines, only a search of the rest of the
 * table for every column that needs a wider type, so that one more read
 * loads it exactly. Key and reference columns keep their type: there such
 * a value is a bad value.
 */
import { BadValueError } from "../errors";
import { Converter, describeRawValue, Rejection, Widening } from "../types/conversion";
import { buildConverter, targetType } from "../types/target-types";
import { widerOf } from "../plan/widen";
import { csvField } from "../csv/csv";
import { ColumnReadStats, ColumnWidening, Exclusion, ReaderColumn, ReaderJob, RejectRecord } from "./protocol";

/** What the text fast path must look at again: a NUL byte, or U+FFFD (maybe invalid UTF-8). */
const SUSPECT_TEXT = /[\0\uFFFD]/;
const MAX_EXAMPLES = 5;

/** What the encoder needs from the reader: the raw bytes of a text value. */
export interface RawBytesSource {
  rawBytes(rowKey: number | string, column: string): Buffer | null;
}

type FieldEncoder = (value: unknown, rowKey: number | string) => string | Rejection;

export class RowEncoder {
  readonly stats: ColumnReadStats[];
  readonly rejects: RejectRecord[] = [];
  readonly rejectedKeys: string[][];
  rowsRejected = 0;
  valuesNulled = 0;
  /** Columns needing a wider type, by column index; non-empty once surveying. */
  readonly widenings = new Map<number, ColumnWidening>();
  private surveyOnly = false;
  private readonly encoders: FieldEncoder[];
  private readonly exclusions: Map<number | string, Exclusion>;
  private readonly parentSets: { columns: readonly number[]; keys: Set<string>; parentTable: string }[];
  private readonly converted: (string | null)[];
  /** Columns whose converted values are text, quoted in the CSV line (others print without quotes). */
  private readonly textual: boolean[];
  /** Stats-free converters, for the keys of rejected rows. */
  private readonly keyConverters: Converter[];

  constructor(
    private readonly job: ReaderJob,
    raw: RawBytesSource,
  ) {
    this.stats = job.columns.map(() => ({ nulls: 0, converted: 0, rejections: {}, formats: {} }));
    this.encoders = job.columns.map((column, i) => fieldEncoder(column, this.stats[i], raw));
    this.exclusions = new Map(job.exclusions.map((e) => [e.rowKey, e]));
    this.parentSets = job.parentRejections.map((p) => ({ columns: p.columns, keys: new Set(p.keys), parentTable: p.parentTable }));
    this.rejectedKeys = job.referencedKeys.map(() => []);
    this.converted = new Array(job.columns.length).fill(null);
    this.textual = job.columns.map((c) => targetType(c.converter).textual);
    this.keyConverters = job.columns.map((c) => buildConverter(c.converter));
  }

  /**
   * The CSV line of a row read as [rowKey, ...values] (ending in \n), or null
   * when the row is rejected. The row is not copied: this runs per row loaded.
   */
  encode(row: readonly unknown[]): string | null {
    if (this.surveyOnly) {
      this.survey(row, 0);
      return null;
    }
    const rowKey = row[0] as number | string;
    const exclusion = this.exclusions.size > 0 ? this.exclusions.get(rowKey) : undefined;
    const nullAnyway = exclusion ? this.applyExclusion(exclusion, rowKey, new RowValues(row)) : null;
    if (nullAnyway === false) return null;
    let line = "";
    const count = row.length - 1;
    for (let i = 0; i < count; i++) {
      if (i > 0) line += ",";
      const value = row[i + 1];
      if (value === null || (nullAnyway !== null && nullAnyway.includes(i))) {
        this.stats[i].nulls++;
        this.converted[i] = null;
        continue;
      }
      const result = this.encoders[i](value, rowKey);
      if (typeof result === "string") {
        this.stats[i].converted++;
        this.converted[i] = result;
        line += this.textual[i] ? csvField(result) : result;
        continue;
      }
      this.converted[i] = null;
      if (result instanceof Widening && this.job.columns[i].fixedType === null) {
        this.startSurvey();
        this.recordWidening(i, result, rowKey, value);
        this.survey(row, i + 1);
        return null;
      }
      if (!this.badValue(i, value, rowKey, this.asRejection(this.job.columns[i], result), new RowValues(row))) return null;
    }
    return this.parentSets.length > 0 && !this.parentsKept(rowKey, row) ? null : line + "\n";
  }

  /** Whether the encoder only surveys (no lines): a column of this part or another needs widening. */
  get surveying(): boolean {
    return this.surveyOnly;
  }

  startSurvey(): void {
    this.surveyOnly = true;
  }

  /**
   * Converts the rest of a row only to find values needing a wider type.
   * Each value is tried in the planned type, so every such value is
   * counted, and the widest type any of them needs is kept.
   */
  private survey(row: readonly unknown[], from: number): void {
    const rowKey = row[0] as number | string;
    for (let i = from; i < row.length - 1; i++) {
      const value = row[i + 1];
      if (value === null || this.job.columns[i].fixedType !== null) continue;
      const result = this.encoders[i](value, rowKey);
      if (result instanceof Widening) this.recordWidening(i, result, rowKey, value);
    }
  }

  private recordWidening(i: number, widening: Widening, rowKey: number | string, value: unknown): void {
    const known = this.widenings.get(i);
    this.widenings.set(i, {
      column: i,
      to: known ? widerOf(known.to, widening.to) : widening.to,
      reason: known?.reason ?? widening.reason,
      values: (known?.values ?? 0) + 1,
      example: known?.example ?? { rowKey: String(rowKey), value: describeRawValue(value as never) },
    });
  }

  /** A Widening of a column whose type is fixed (key, reference, override) is a bad value. */
  private asRejection(column: ReaderColumn, result: Rejection): Rejection {
    if (!(result instanceof Widening)) return result;
    const why = {
      key: "a key column keeps its type",
      reference: "a column of a foreign key keeps its type",
      override: "the type is the override's",
    } as const;
    return new Rejection(`${result.reason} (${why[column.fixedType!]})`);
  }

  /** Records a bad value; true when the row goes on with a NULL, false when it is rejected. */
  private badValue(i: number, value: unknown, rowKey: number | string, rejection: Rejection, rowValues: RowValues): boolean {
    const column = this.job.columns[i];
    const raw = rejection.rawValue ?? describeRawValue(value as never);
    countRejection(this.stats[i], rejection.reason, String(rowKey), raw);
    if (this.job.policy === "fail") throw new BadValueError(this.job.table, column.source, String(rowKey), raw, rejection.reason);
    if (this.job.policy === "null" && !column.notNull && !column.key) {
      this.valuesNulled++;
      this.rejects.push({ rowKey: String(rowKey), column: column.source, rawValue: raw, reason: rejection.reason, action: "nulled" });
      return true;
    }
    this.rejectRow(rowKey, column.source, raw, rejection.reason, rowValues);
    return false;
  }

  /** Orphans and NULL keys: false rejects the row, else the columns to set to NULL. */
  private applyExclusion(exclusion: Exclusion, rowKey: number | string, rowValues: RowValues): number[] | false {
    if (this.job.policy === "fail") {
      const raw =
        exclusion.column === null
          ? ""
          : describeRawValue(rowValues.at(this.job.columns.findIndex((c) => c.source === exclusion.column)) as never);
      throw new BadValueError(this.job.table, exclusion.column ?? "(row)", String(rowKey), raw, exclusion.reason);
    }
    if (this.job.policy === "null" && exclusion.nullable.length > 0) {
      for (const i of exclusion.nullable) {
        this.valuesNulled++;
        this.rejects.push({
          rowKey: String(rowKey),
          column: this.job.columns[i].source,
          rawValue: describeRawValue(rowValues.at(i) as never),
          reason: exclusion.reason,
          action: "nulled",
        });
      }
      return [...exclusion.nullable];
    }
    const i = exclusion.column === null ? -1 : this.job.columns.findIndex((c) => c.source === exclusion.column);
    this.rejectRow(rowKey, exclusion.column, i >= 0 ? describeRawValue(rowValues.at(i) as never) : null, exclusion.reason, rowValues);
    return false;
  }

  /** Rows whose foreign key points at a rejected parent row follow the parent out. */
  private parentsKept(rowKey: number | string, row: readonly unknown[]): boolean {
    for (const parent of this.parentSets) {
      if (parent.columns.some((c) => this.converted[c] === null)) continue;
      const key = parent.columns.map((c) => this.converted[c]).join("\u0001");
      if (!parent.keys.has(key)) continue;
      const reason = `references a rejected row of "${parent.parentTable}"`;
      if (this.job.policy === "fail")
        throw new BadValueError(this.job.table, this.job.columns[parent.columns[0]].source, String(rowKey), key, reason);
      const rowValues = new RowValues(row);
      this.rejectRow(
        rowKey,
        this.job.columns[parent.columns[0]].source,
        describeRawValue(rowValues.at(parent.columns[0]) as never),
        reason,
        rowValues,
      );
      return false;
    }
    return true;
  }

  /**
   * Records a rejected row and, for each key of this table that children
   * reference, the key's converted text, so those children follow it out.
   */
  private rejectRow(rowKey: number | string, column: string | null, raw: string | null, reason: string, rowValues: RowValues): void {
    this.rowsRejected++;
    this.rejects.push({ rowKey: String(rowKey), column, rawValue: raw, reason, action: "rejected" });
    this.job.referencedKeys.forEach((columns, k) => {
      const parts = columns.map((c) => (rowValues.at(c) === null ? null : this.keyConverters[c](rowValues.at(c) as never)));
      if (parts.every((p) => typeof p === "string")) this.rejectedKeys[k].push(parts.join("\u0001"));
    });
  }
}

/** The values of a row read as [rowKey, ...values], by column index. */
class RowValues {
  constructor(private readonly row: readonly unknown[]) {}
  at(column: number): unknown {
    return this.row[column + 1];
  }
}

function countRejection(stats: ColumnReadStats, reason: string, rowKey: string, value: string): void {
  const entry = (stats.rejections[reason] ??= { count: 0, examples: [] });
  entry.count++;
  if (entry.examples.length < MAX_EXAMPLES) entry.examples.push({ rowKey, value });
}

function fieldEncoder(column: ReaderColumn, stats: ColumnReadStats, raw: RawBytesSource): FieldEncoder {
  const encode = typedFieldEncoder(column, stats, raw);
  if (!column.widensToText) return encode;
  // A value the inferred type cannot hold at all: text holds it as it is.
  return (value, rowKey) => {
    const result = encode(value, rowKey);
    if (typeof result === "string" || result instanceof Widening) return result;
    return new Widening({ kind: "text" }, `does not fit the type inferred from the sample (${result.reason})`);
  };
}

function typedFieldEncoder(column: ReaderColumn, stats: ColumnReadStats, raw: RawBytesSource): FieldEncoder {
  const spec = column.converter;
  const convert: Converter = buildConverter(spec, (label) => (stats.formats[label] = (stats.formats[label] ?? 0) + 1));
  if (!targetType(spec).textual) return (value) => convert(value as never);
  return textEncoder(column, convert, raw);
}

function textEncoder(column: ReaderColumn, convert: Converter, raw: RawBytesSource): FieldEncoder {
  const tooLong = column.maxLength === null ? null : new Widening({ kind: "text" }, `is longer than ${column.maxLength} characters`);
  return (value, rowKey) => {
    const text = typeof value === "string" ? value : convert(value as never);
    if (typeof text !== "string") return text;
    if (SUSPECT_TEXT.test(text)) {
      if (text.includes("\0")) return new Rejection("NUL byte in text");
      if (text.includes("\uFFFD") && typeof value === "string") {
        // The reader decodes invalid UTF-8 to U+FFFD; only the raw bytes tell
        // a genuine U+FFFD from a broken sequence.
        const bytes = raw.rawBytes(rowKey, column.source);
        if (bytes) {
          const checked = convert(bytes);
          if (typeof checked !== "string") return checked;
        }
      }
    }
    if (tooLong && text.length > column.maxLength! && [...text].length > column.maxLength!) return tooLong;
    return text;
  };
}
