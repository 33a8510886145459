export * from "./model";
export { DEFAULT_MIN_QUALITY, DEFAULT_THRESHOLDS, evaluateGate, SCORE_FORMULA } from "./gate";
export type { GateInput } from "./gate";
export { checkHealth } from "./health";
export type { HealthOptions } from "./health";
