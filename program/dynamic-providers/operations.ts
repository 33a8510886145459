/**
 * Where resources created by releases before 0.2 look for the provider's
 * code: their state carries a provider that loads
 * "<folder of the program>/dynamic-providers/operations.js". Kept so their
 * update and delete still run; new resources find the package instead.
 */
export * from "../../dynamic-providers/operations";
