export * from "./model";
export { DEFAULT_MIN_QUALITY, evaluateGate, SCORE_FORMULA } from "./gate";
export { CHECKS, DEFAULT_THRESHOLDS, checkThresholds, parseAcceptances, parseThreshold } from "./settings";
export type { Acceptance, Thresholds } from "./settings";
export type { GateInput } from "./gate";
export { backupToolFindings, checkHealth } from "./health";
export type { HealthOptions } from "./health";
