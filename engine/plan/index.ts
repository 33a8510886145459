export * from "./model";
export { buildPlan } from "./plan";
export type { PlanOptions } from "./plan";
export type { RenameMap } from "./names";
export { OVERRIDE_TYPES } from "./overrides";
