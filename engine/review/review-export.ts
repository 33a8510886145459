/**
 * A review of an export: what previewRun measures (every value converted,
 * nothing written), set against the version readers are on when the
 * database answers. What `pulumi preview` and the CLI's `review` run.
 */
import * as path from "node:path";
import { describeError } from "../errors";
import type { Client } from "pg";
import { Preview, previewRun, PreviewOptions } from "../migrate/preview";
import { writeJsonAndMarkdown } from "../migrate/report-files";
import { defaultCutover, modeBehaviour } from "../modes";
import { withClient } from "../sql/connect";
import { buildReview } from "./compare";
import { reviewMarkdown } from "./markdown";
import { Review } from "./model";
import { adoptableVersion, readReaders } from "./readers";

export interface ReviewOptions extends PreviewOptions {
  readonly schemaPrefix: string;
  /** The cutover a run would do; defaults to the mode's. */
  readonly cutover?: "auto" | "manual";
  /** The holder whose version readers should be on (a stack's "pulumi:<project>/<stack>"), for drift. */
  readonly owner?: string | null;
}

export async function reviewExport(options: ReviewOptions): Promise<{ review: Review; preview: Preview }> {
  const readers = await reachReaders(options, (client) => readReaders(client, options.schemaPrefix, options.owner ?? null));
  const previousRows = readers?.version
    ? Object.fromEntries(Object.entries(readers.version.tables).map(([t, v]) => [t, v.rows]))
    : undefined;
  const preview = await previewRun({ ...options, previousRows });
  const adoptable =
    readers && modeBehaviour(options.mode).adopts
      ? await reachReaders(options, (client) => adoptableVersion(client, options.schemaPrefix, preview.digest, preview.fingerprint))
      : null;
  const review = buildReview({
    source: options.sourcePath,
    prefix: options.schemaPrefix,
    mode: options.mode,
    cutover: options.cutover ?? defaultCutover(options.mode),
    preview,
    readers: readers && { ...readers, adoptable: adoptable ?? null },
  });
  return { review, preview };
}

/**
 * What the database says, or null when no database is given or it does not
 * answer: the export's own verdict stands without it, and the review says
 * what it is set against.
 */
async function reachReaders<T>(options: ReviewOptions, read: (client: Client) => Promise<T>): Promise<T | null> {
  if (options.databaseUrl === null) return null;
  try {
    return await withClient(options.databaseUrl, read);
  } catch (error) {
    options.onProgress?.({ phase: "gate", message: `the review is of the export alone: ${describeError(error)}` });
    return null;
  }
}

/** <directory>/<prefix>-review.md and .json, overwritten by each review of the prefix; their paths. */
export function writeReviewFiles(review: Review, directory: string): { json: string; markdown: string } {
  return writeJsonAndMarkdown(path.resolve(directory), `${review.prefix}-review`, review, reviewMarkdown(review));
}
