/** The version matrix against PostgreSQL 16: see matrix.ts. */
import { versionMatrix } from "./matrix";

versionMatrix(16);
