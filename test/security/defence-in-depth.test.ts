/**
 * The two layers behind the check of a view's SQL, against the tests'
 * PostgreSQL (15): see defence-suite.ts. The version matrix runs the same
 * suite against 16, 17 and 18.
 */
import { defenceInDepth } from "./defence-suite";

defenceInDepth({ label: "", migrateOptions: {} });
