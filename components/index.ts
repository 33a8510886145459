export { ServicedeskDatabase } from "./servicedesk-database";
export type { LocalPostgresArgs, MigrationSettings, ReportingRoleArgs, ServicedeskDatabaseArgs } from "./servicedesk-database";
export { connectionParts, containerConnection } from "./connection";
