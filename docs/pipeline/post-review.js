// Posts the export review (the Markdown `pulumi preview` or `servicedesk-migrate
// review` wrote) as one pull-request comment: the comment that starts with the
// review's marker is updated on each push, never a second one added. Called by
// actions/github-script (github-actions.yml) with its github client and context.
"use strict";
const { readFileSync } = require("node:fs");

/** The first line of every review (engine/review/markdown.ts REVIEW_MARKER). */
const MARKER = "<!-- servicedesk-migration-review -->";

module.exports = async function postReview({ github, context, core, file }) {
  let body;
  try {
    body = readFileSync(file, "utf8");
  } catch (error) {
    core.setFailed(`no review at ${file} (${error.message}): the preview stopped before the export was read; its log says why`);
    return null;
  }
  if (!body.startsWith(MARKER)) body = `${MARKER}\n${body}`;
  const { owner, repo } = context.repo;
  const issue_number = context.issue.number;
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
  const ours = comments.find((comment) => (comment.body ?? "").startsWith(MARKER));
  if (ours) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: ours.id, body });
    return ours.id;
  }
  const { data } = await github.rest.issues.createComment({ owner, repo, issue_number, body });
  return data.id;
};
