/** The version matrix against PostgreSQL 18: see matrix.ts. */
import { versionMatrix } from "./matrix";

versionMatrix(18);
