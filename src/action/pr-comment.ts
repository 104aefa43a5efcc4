import type * as github from '@actions/github'

type Octokit = ReturnType<typeof github.getOctokit>

export interface CommentTarget {
  owner: string
  repo: string
  issueNumber: number
}

/**
 * Keeps one comment per marker on the pull request: edits it in place when it exists, so
 * re-runs and matrix legs (each with its own app+channel marker) never pile up comments.
 */
export async function upsertComment(octokit: Octokit, target: CommentTarget, marker: string, body: string): Promise<'created' | 'updated'> {
  const text = `${marker}\n${body}`
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    per_page: 100,
  })
  const existing = comments.find((comment) => comment.body?.includes(marker))
  if (existing) {
    await octokit.rest.issues.updateComment({ owner: target.owner, repo: target.repo, comment_id: existing.id, body: text })
    return 'updated'
  }
  await octokit.rest.issues.createComment({ owner: target.owner, repo: target.repo, issue_number: target.issueNumber, body: text })
  return 'created'
}

/** Pull requests the run belongs to: the event's PR, or (for `pr-comment: always`) the PRs holding the commit. */
export async function pullRequestNumbers(octokit: Octokit | undefined, context: typeof github.context, includeCommitPulls: boolean): Promise<number[]> {
  const fromEvent = context.payload.pull_request?.number
  if (typeof fromEvent === 'number') return [fromEvent]
  if (!includeCommitPulls || !octokit || !context.sha) return []
  const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner: context.repo.owner, repo: context.repo.repo, commit_sha: context.sha })
  return data.filter((pull) => pull.state === 'open').map((pull) => pull.number)
}
