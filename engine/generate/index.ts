/** Generator of realistic, deterministic ServiceDesk SQLite exports, for tests and benchmarks. */
export { generateServicedeskDatabase, GenerateOptionsError } from "./generate";
export type { GenerateOptions, GenerateResult } from "./generate";
export { DEFECT_CLASSES, DEFECTS_BY_TABLE } from "./defects";
export type { DefectClass, DefectRecord } from "./defects";
export { SERVICEDESK_COLUMNS, SERVICEDESK_DDL, SERVICEDESK_TABLES, SERVICEDESK_TIMESTAMP_FORMATS } from "./schema";
export type { ServicedeskTable, SqlValue } from "./schema";
export { SeededRandom, WeightedChoice } from "./random";
