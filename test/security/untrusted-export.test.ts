/**
 * The adversarial corpus against the tests' PostgreSQL (15), complete mode
 * with its pg_dump backup: see security-corpus.ts for what each case must
 * show. The version matrix runs the same suite against 16, 17 and 18.
 */
import { securityCorpus } from "./security-corpus";

securityCorpus({ label: "", migrateOptions: {}, cliFlags: [] });
