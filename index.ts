/**
 * servicedesk-migration as a library: the Pulumi component and resource,
 * their argument types, and the migration engine (which needs no Pulumi:
 * "servicedesk-migration/engine" loads it alone).
 *
 * @example
 * import { ServicedeskDatabase } from "servicedesk-migration";
 * const database = new ServicedeskDatabase("servicedesk", {
 *   source: "exports/servicedesk.sqlite",
 *   connection: config.requireSecret("connection"),
 * });
 * export const cutover = database.migration.cutoverCommand;
 */
export { ServicedeskDatabase } from "./components";
export type { LocalPostgresArgs, MigrationSettings, ReportingRoleArgs, ServicedeskDatabaseArgs } from "./components";
export { describeSource, ServicedeskMigration } from "./dynamic-providers";
export type { ResourceMode, SchemaPlan, ServicedeskMigrationArgs } from "./dynamic-providers";
export * from "./engine";
