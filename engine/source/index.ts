export * from "./model";
export { introspectSource } from "./introspect";
export { assertSqliteFile, openSource, sourceFailure, SOURCE_BUSY_TIMEOUT_MS, useSinglePassCache } from "./open";
export type { SourceDatabase } from "./open";
export { rowidBounds } from "./rowid-bounds";
export { attachSubset, complementOf, identityColumns, identitySql, subsetCondition, subsetWhere, SUBSET_SCHEMA } from "./row-subset";
export type { RowIdentity, RowSubset } from "./row-subset";
