/**
 * A review as people read it: a few lines for `pulumi preview` and the
 * resource's diff (reviewSummary), and Markdown for a pull-request comment
 * (reviewMarkdown), which leads with the verdict and, when the gate blocks,
 * with the block and its ways forward.
 */
import { cell, count, signed } from "../markdown-cells";
import { FindingStatus, Review, ReviewedFinding } from "./model";

/** The first line of every review comment: the pipeline finds its own comment by it and updates it. */
export const REVIEW_MARKER = "<!-- servicedesk-migration-review -->";

const STATUSES: readonly FindingStatus[] = ["new", "still", "gone", "accepted"];
const STATUS_WORDS: Record<FindingStatus, string> = { new: "new", still: "still there", gone: "gone", accepted: "accepted" };

const where = (f: { table?: string; column?: string }) => (f.table ? (f.column ? `${f.table}.${f.column}` : f.table) : "");
const readersLabel = (review: Review) =>
  review.readers.on ?? (review.readers.asked ? "no version yet (the first)" : "the export alone (no database asked)");
const rowsChange = (before: number | null, after: number | null) =>
  before === null ? "new table" : after === null ? "table removed" : signed(after - before);

function verdictLine(review: Review): string {
  const was = review.score.before === null ? "" : ` (was ${review.score.before})`;
  const word = { passes: "passes", warns: "is below the gate, loaded anyway in this mode", blocked: "is BLOCKED" }[review.verdict];
  return `${word}: score ${review.score.after}${was}, minQuality ${review.score.minQuality}`;
}

function findingCounts(review: Review): string {
  return STATUSES.map((s) => `${review.findings.filter((f) => f.status === s).length} ${STATUS_WORDS[s]}`).join(", ");
}

function rowsLine(review: Review): string {
  const changed = review.tables.filter((t) => t.before !== t.after);
  if (changed.length === 0) return review.readers.on === null ? "first version" : "no table changes its row count";
  const shown = changed
    .slice(0, 6)
    .map(
      (t) =>
        `${t.table} ${t.before === null ? "-" : count(t.before)} -> ${t.after === null ? "-" : count(t.after)} (${rowsChange(t.before, t.after)})`,
    );
  return shown.join("; ") + (changed.length > shown.length ? `; ${changed.length - shown.length} more` : "");
}

function schemaLine(review: Review): string {
  const parts = [
    ...review.tablesAdded.map((t) => `table ${t} added`),
    ...review.tablesRemoved.map((t) => `table ${t} removed`),
    ...review.columns.map((c) => `${c.table}.${c.column} ${c.change}${c.before && c.after ? ` ${c.before} -> ${c.after}` : ""}`),
  ];
  if (review.readers.unrecorded) parts.push(`column types of ${review.readers.on} not recorded (an older release loaded it)`);
  return parts.length === 0 ? "no changes" : parts.slice(0, 8).join("; ") + (parts.length > 8 ? `; ${parts.length - 8} more` : "");
}

function actionLine(review: Review): string {
  const action = {
    load: "load a new version",
    adopt: `adopt ${review.action.adopts} (it holds this export already)`,
    none: "run the canary on the sample and load nothing",
  }[review.action.kind];
  return `${action}; ${review.cutover.text}`;
}

/** The review in a few labelled lines: what the preview prints, and what the resource's diff carries. */
export function reviewSummary(review: Review): Record<string, string> {
  return {
    against: readersLabel(review),
    verdict: verdictLine(review),
    ...(review.verdict === "blocked" ? { blockedBy: review.blockedBy.join("; ") } : {}),
    findings: findingCounts(review),
    rows: rowsLine(review),
    schema: schemaLine(review),
    viewsRefused: review.viewsRefused.length === 0 ? "none" : review.viewsRefused.map((v) => v.view).join(", "),
    upWill: actionLine(review),
    ...(review.readers.drift ? { drift: review.readers.drift.text } : {}),
  };
}

export function reviewMarkdown(review: Review): string {
  const lines = [
    REVIEW_MARKER,
    `## Export review: \`${cell(review.source)}\` ${review.verdict === "blocked" ? "is blocked" : review.verdict === "warns" ? "is below the gate" : "passes"}`,
    "",
  ];
  if (review.verdict === "blocked") {
    lines.push("**The quality gate blocks this export.** `pulumi up` would refuse it and change nothing.", "");
    for (const reason of review.blockedBy) lines.push(`- blocked by: ${cell(reason)}`);
    lines.push("", "**Ways forward**", "");
    review.waysForward.forEach((way, i) => lines.push(`${i + 1}. ${cell(way)}`));
    lines.push("");
  }
  lines.push(
    `${
      review.readers.on !== null
        ? `Against \`${review.readers.on}\`, the version readers are on.`
        : review.readers.asked
          ? "The first version of this prefix: readers are on none yet."
          : "The export alone: no database was asked (none given, or it did not answer)."
    } Mode ${review.mode}; sha256 \`${review.digest.slice(0, 16)}\`.`,
    "",
    `**pulumi up will** ${actionLine(review)}.`,
    "",
  );
  if (review.readers.drift) lines.push(`> **Readers are not on this stack's version.** ${cell(review.readers.drift.text)}.`, "");
  lines.push(
    "### Quality",
    "",
    "| | readers' version | this export |",
    "|---|---:|---:|",
    `| quality score | ${review.score.before ?? "not recorded"} | ${review.score.after} |`,
    `| findings | ${review.score.before === null ? "not recorded" : review.findings.filter((f) => f.countBefore !== null).length} | ${review.findings.filter((f) => f.status !== "gone").length} |`,
    "",
    `Findings: ${findingCounts(review)}.`,
    "",
    "### Rows",
    "",
    "| table | before | after | change | set aside |",
    "|---|---:|---:|---:|---:|",
    ...review.tables.map(
      (t) =>
        `| ${cell(t.table)} | ${t.before === null ? "-" : count(t.before)} | ${t.after === null ? "-" : count(t.after)} | ${rowsChange(t.before, t.after)} | ${t.rejects === null ? "-" : count(t.rejects)} |`,
    ),
    "",
    "### Schema",
    "",
  );
  if (review.tablesAdded.length + review.tablesRemoved.length + review.columns.length === 0) lines.push(`${schemaLine(review)}.`, "");
  else {
    for (const t of review.tablesAdded) lines.push(`- table \`${cell(t)}\` added`);
    for (const t of review.tablesRemoved) lines.push(`- table \`${cell(t)}\` removed`);
    if (review.columns.length > 0) {
      lines.push("", "| table | column | change | before | after |", "|---|---|---|---|---|");
      for (const c of review.columns)
        lines.push(`| ${cell(c.table)} | ${cell(c.column)} | ${c.change} | ${c.before ?? "-"} | ${c.after ?? "-"} |`);
    }
    lines.push("");
  }
  if (review.findings.length > 0) {
    lines.push("### Findings", "", "| status | severity | check | where | before | now | finding |", "|---|---|---|---|---:|---:|---|");
    for (const f of ordered(review.findings))
      lines.push(
        `| ${STATUS_WORDS[f.status]} | ${f.severity} | ${f.check} | ${cell(where(f))} | ${f.countBefore === null ? "-" : count(f.countBefore)} | ${f.count === null ? "-" : count(f.count)} | ${cell(f.message)}${f.accepted ? ` (accepted: \`${cell(f.accepted)}\`)` : ""} |`,
      );
    lines.push("");
  }
  if (review.viewsRefused.length > 0) {
    lines.push("### Views that would fail", "");
    for (const v of review.viewsRefused) lines.push(`- \`${cell(v.view)}\`: ${cell(v.message)}`);
    lines.push("");
  }
  return lines.join("\n");
}

/** New first, then still there, accepted, gone: what changed leads. */
function ordered(findings: readonly ReviewedFinding[]): ReviewedFinding[] {
  const rank: Record<FindingStatus, number> = { new: 0, still: 1, accepted: 2, gone: 3 };
  return [...findings].sort((a, b) => rank[a.status] - rank[b.status]);
}
