/** Versioned schemas, their metadata, the prefix lock, the stable access schema and retention. */
export {
  allocateVersionName,
  canarySchemaName,
  controlSchemaName,
  DEFAULT_SCHEMA_PREFIX,
  isVersionSchemaName,
  MAX_PREFIX_BYTES,
  stableSchemaName,
  stagingSchemaName,
  validatePrefix,
  versionNamePattern,
  versionSchemaName,
  versionTimestamp,
} from "./naming";
export {
  activeVersion,
  FORMAT_VERSION,
  isStagingComment,
  parseStableMetadata,
  parseVersionMetadata,
  readSchemaComment,
  readVersionMetadata,
  stableState,
  stagingComment,
  TOOL_NAME,
  writeVersionMetadata,
} from "./metadata";
export type { StableMetadata, StableState, VersionMetadata, VersionQuality, VersionStatus } from "./metadata";
export {
  ADVISORY_LOCK_CLASS_ID,
  DEFAULT_LOCK_TIMEOUT_MS,
  prefixLockHolder,
  prefixLockKeyLiteral,
  prefixLockKeySql,
  withPrefixLock,
} from "./lock";
export type { PrefixLockOptions } from "./lock";
export { cutoverSql, ensureStableSchema, psqlCommand, switchCommands, switchTo } from "./stable";
export type { SwitchCommands, SwitchResult } from "./stable";
export { SWITCH_ERROR_CODES, switchFunctionSql } from "./switch-function";
export { collectGarbage, DEFAULT_RETAIN, dropVersion, findReusableVersion, garbageVersions, listVersions } from "./retention";
export type { GarbageCollectionOptions } from "./retention";
export { inTransaction } from "../sql/transaction";
export { heldByOthers, holdVersion, readClaims, releaseClaim } from "./holders";
export type { Claim, Holder } from "./holders";
export { createStaging, dropStaging } from "./staging";
