/** The version matrix against PostgreSQL 17: see matrix.ts. */
import { versionMatrix } from "./matrix";

versionMatrix(17);
