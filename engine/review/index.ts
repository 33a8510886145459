/** The review of a new export against the version readers are on. */
export { buildReview } from "./compare";
export type { ReviewInput } from "./compare";
export { REVIEW_MARKER, reviewMarkdown, reviewSummary } from "./markdown";
export type { ColumnChange, DriftReason, FindingStatus, Readers, Review, ReviewedFinding, TableRows } from "./model";
export { readReaders } from "./readers";
export type { ReadersState } from "./readers";
export { reviewExport, writeReviewFiles } from "./review-export";
export type { ReviewOptions } from "./review-export";
