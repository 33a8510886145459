/**
 * The pipeline example (docs/pipeline): a valid GitHub Actions workflow
 * (checked against the workflow schema by action-validator) whose preview
 * job posts the review after the preview, blocked or not, from the file the
 * preview writes; and its posting script keeps one comment per pull
 * request, updated on each push, run here as the workflow's step runs it
 * against an in-memory pull request.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { DEFAULTS, REVIEW_MARKER } from "../../engine";

const ROOT = path.resolve(__dirname, "..", "..");
const WORKFLOW = path.join(ROOT, "docs", "pipeline", "github-actions.yml");

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: { script?: string };
}

const workflowText = readFileSync(WORKFLOW, "utf8");
const workflow = parse(workflowText);
const previewSteps: Step[] = workflow.jobs.preview.steps;
const postStep = previewSteps.find((s) => s.uses?.startsWith("actions/github-script@"))!;

test("the workflow is valid against GitHub's workflow schema", () => {
  const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  try {
    expect(validateWorkflow(workflowText).errors).toEqual([]);
  } finally {
    warn.mockRestore();
  }
});

test("pull requests run the preview, then post the review whatever the preview's outcome", () => {
  expect(Object.keys(workflow.on)).toEqual(["pull_request", "push"]);
  expect(workflow.jobs.preview.if).toBe("github.event_name == 'pull_request'");
  expect(workflow.jobs.preview.permissions["pull-requests"]).toBe("write");
  const previewAt = previewSteps.findIndex((s) => /bash scripts\/pipeline\.sh preview/.test(s.run ?? ""));
  const postAt = previewSteps.indexOf(postStep);
  expect(previewAt).toBeGreaterThan(-1);
  expect(postAt).toBeGreaterThan(previewAt);
  // A blocked export fails the preview step; its review must still be posted.
  expect(postStep.if).toBe("${{ !cancelled() }}");
  // The file the preview writes with the stack's defaults: <backupDirectory>/<reports>/<prefix>-review.md.
  expect(workflow.env.REVIEW_FILE).toBe(`${DEFAULTS.backupDirectory}/${DEFAULTS.reportFolder}/${DEFAULTS.schemaPrefix}-review.md`);
  expect(previewSteps[previewAt].run).toContain('rm -f "$REVIEW_FILE"');
});

describe("the posting step against an in-memory pull request", () => {
  let dir: string;
  let comments: { id: number; body: string }[];
  let failures: string[];
  const github = {
    paginate: async (list: (args: object) => Promise<{ data: unknown[] }>, args: object) => (await list(args)).data,
    rest: {
      issues: {
        listComments: async () => ({ data: comments.map((c) => ({ ...c })) }),
        createComment: async ({ body }: { body: string }) => {
          const comment = { id: comments.length + 100, body };
          comments.push(comment);
          return { data: comment };
        },
        updateComment: async ({ comment_id, body }: { comment_id: number; body: string }) => {
          comments.find((c) => c.id === comment_id)!.body = body;
          return { data: {} };
        },
      },
    },
  };
  const context = { repo: { owner: "acme", repo: "exports" }, issue: { number: 7 } };
  const core = { setFailed: (message: string) => failures.push(message) };

  /** The step's script as actions/github-script runs it: an async function of github, context, core, require and process. */
  async function runStep(reviewFile: string): Promise<void> {
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
    const step = new AsyncFunction("github", "context", "core", "require", "process", postStep.with!.script!);
    const env = { ...process.env, REVIEW_FILE: reviewFile };
    await step(github, context, core, createRequire(path.join(ROOT, "package.json")), { ...process, env });
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "sdm-pipeline-"));
    comments = [{ id: 1, body: "LGTM" }];
    failures = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("the first push adds one comment; later pushes update it; other comments stay", async () => {
    const file = path.join(dir, "review.md");
    writeFileSync(file, `${REVIEW_MARKER}\n## Export review: \`a.sqlite\` passes\n`);
    await runStep(file);
    writeFileSync(file, `${REVIEW_MARKER}\n## Export review: \`b.sqlite\` is blocked\n`);
    await runStep(file);
    await runStep(file);
    expect(comments).toEqual([
      { id: 1, body: "LGTM" },
      { id: 101, body: `${REVIEW_MARKER}\n## Export review: \`b.sqlite\` is blocked\n` },
    ]);
    expect(failures).toEqual([]);
  });

  test("no review file fails the step, naming the file, and posts nothing", async () => {
    await runStep(path.join(dir, "missing.md"));
    expect(comments).toEqual([{ id: 1, body: "LGTM" }]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain(`no review at ${path.join(dir, "missing.md")}`);
  });
});
