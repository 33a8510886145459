/**
 * A review: what a new export brings, set against the version readers are
 * on now, in the words a person approving it in a pull request needs.
 */

export type FindingStatus = "new" | "still" | "gone" | "accepted";

export interface ReviewedFinding {
  readonly status: FindingStatus;
  readonly check: string;
  readonly severity: string;
  readonly table?: string;
  readonly column?: string;
  /** The new export's message; for a gone finding, what the readers' version recorded. */
  readonly message: string;
  /** Values or rows concerned in the readers' version (null when it did not have it or did not record it). */
  readonly countBefore: number | null;
  /** In the new export (null when gone). */
  readonly count: number | null;
  /** The acceptance (acceptFindings) that lets it pass. */
  readonly accepted?: string;
}

export interface TableRows {
  readonly table: string;
  /** Rows in the readers' version (null: the table is new). */
  readonly before: number | null;
  /** Rows the new version will hold (null: the table is gone). */
  readonly after: number | null;
  /** Rows the new export sets aside (rejected or duplicate keys). */
  readonly rejects: number | null;
}

export type ColumnChangeKind = "added" | "removed" | "type changed" | "widened";

export interface ColumnChange {
  readonly table: string;
  readonly column: string;
  readonly change: ColumnChangeKind;
  readonly before: string | null;
  readonly after: string | null;
}

/** Why readers are not on the version this stack holds, when a review can tell. */
export type DriftReason = "rollback" | "restore" | "switch";

export interface Readers {
  /** Whether a database was asked: without one (none given, or it did not answer) the review is of the export alone. */
  readonly asked: boolean;
  /** The version the stable schema serves now, or null (nothing served yet). */
  readonly on: string | null;
  /** The version this holder (a stack) holds, when the review knows its owner. */
  readonly held: string | null;
  /** Set when readers are on another version than the one held. */
  readonly drift: { readonly reason: DriftReason; readonly text: string } | null;
  /** Set when the readers' version was loaded by an older release: no types or findings recorded to compare with. */
  readonly unrecorded: boolean;
}

export interface Review {
  readonly generatedAt: string;
  readonly source: string;
  /** sha256 of the export. */
  readonly digest: string;
  readonly prefix: string;
  readonly mode: string;
  /** "passes", or "blocked" when the gate refuses the load in this mode ("warns": it blocks but the mode loads anyway). */
  readonly verdict: "passes" | "blocked" | "warns";
  readonly blockedBy: readonly string[];
  readonly waysForward: readonly string[];
  readonly score: { readonly before: number | null; readonly after: number; readonly minQuality: number };
  readonly findings: readonly ReviewedFinding[];
  readonly tables: readonly TableRows[];
  readonly tablesAdded: readonly string[];
  readonly tablesRemoved: readonly string[];
  readonly columns: readonly ColumnChange[];
  /** The export's views refused before they reach PostgreSQL, with why. */
  readonly viewsRefused: readonly { readonly view: string; readonly message: string }[];
  /** "load" a new version, "adopt" a retained one that holds this export with these options, or "none" (a mode that makes no version). */
  readonly action: { readonly kind: "load" | "adopt" | "none"; readonly adopts: string | null };
  readonly cutover: { readonly kind: "auto" | "manual"; readonly text: string };
  readonly readers: Readers;
}
