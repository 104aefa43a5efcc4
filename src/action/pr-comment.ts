import type * as github from '@actions/github'
import { describeError } from '../core/errors.js'
import { createRetrier, type HttpCallOptions, type Retrier } from '../core/register/http.js'
import { parseRetryAfter } from '../core/retry.js'

type Octokit = ReturnType<typeof github.getOctokit>

export interface CommentTarget {
  owner: string
  repo: string
  issueNumber: number
}

/** GitHub refuses longer comment bodies (422 "body is too long"). */
export const MAX_COMMENT_LENGTH = 65_536

/**
 * The whole comment (marker + body) within GitHub's limit: a longer report is cut at the last
 * paragraph that fits, followed by a line pointing at the full job summary.
 */
export function commentText(marker: string, body: string, summaryUrl?: string): string {
  const text = `${marker}\n${body}`
  if (text.length <= MAX_COMMENT_LENGTH) return text
  const pointer = summaryUrl
    ? `[View the full job summary](${summaryUrl})`
    : 'View the full job summary in the workflow run'
  const footer = `\n\n---\n✂️ The report is longer than a pull request comment may be. ${pointer}.\n`
  const room = MAX_COMMENT_LENGTH - footer.length
  const head = text.slice(0, room)
  const cut = head.lastIndexOf('\n\n')
  return `${cut > marker.length ? head.slice(0, cut) : head}${footer}`
}

/**
 * Keeps one comment per marker on the pull request: edits it in place when it exists, so
 * re-runs and matrix legs (each with its own app+channel marker) never pile up comments.
 * The whole look-up-then-write is what is retried: a create whose answer was lost is found by
 * the next attempt's listing and edited, never posted twice.
 */
export async function upsertComment(
  octokit: Octokit,
  target: CommentTarget,
  marker: string,
  body: string,
  options: { retry?: Retrier; summaryUrl?: string } = {},
): Promise<'created' | 'updated'> {
  const text = commentText(marker, body, options.summaryUrl)
  const once = async (): Promise<'created' | 'updated'> => {
    const comments = await octokit.paginate(octokit.rest.issues.listComments, {
      owner: target.owner,
      repo: target.repo,
      issue_number: target.issueNumber,
      per_page: 100,
    })
    const existing = comments.find((comment) => comment.body?.includes(marker))
    if (existing) {
      await octokit.rest.issues.updateComment({
        owner: target.owner,
        repo: target.repo,
        comment_id: existing.id,
        body: text,
      })
      return 'updated'
    }
    await octokit.rest.issues.createComment({
      owner: target.owner,
      repo: target.repo,
      issue_number: target.issueNumber,
      body: text,
    })
    return 'created'
  }
  return options.retry ? options.retry(once) : once()
}

interface OctokitError {
  status?: number
  response?: { headers?: Record<string, string | number | undefined> }
}

/**
 * GitHub's transient answers: 5xx, 408, 429, and the secondary rate limit (403 with Retry-After, or
 * an exhausted primary limit with x-ratelimit-reset); a request that got no answer at all.
 * Everything else (401, a read-only token's 403, 404, 422) is final.
 */
export function classifyGithubError(
  error: unknown,
  maxRetryAfterMs: number,
  now: number = Date.now(),
): { retry: boolean; delayMs?: number } {
  const { status, response } = (error ?? {}) as OctokitError
  if (status === undefined) return { retry: true }
  const headers = response?.headers ?? {}
  const retryAfter = parseRetryAfter(headers['retry-after']?.toString(), now, Number.MAX_SAFE_INTEGER)
  const reset =
    headers['x-ratelimit-remaining']?.toString() === '0' ? Number(headers['x-ratelimit-reset']) * 1000 - now : undefined
  const limited = status === 429 || (status === 403 && (retryAfter !== undefined || reset !== undefined))
  if (limited) {
    const delayMs = retryAfter ?? (reset !== undefined && Number.isFinite(reset) ? Math.max(0, reset) : undefined)
    if (delayMs !== undefined && delayMs > maxRetryAfterMs) return { retry: false }
    return { retry: true, delayMs }
  }
  return { retry: status === 408 || status >= 500 }
}

/** The retry policy of the HTTP registrars, for the GitHub API (tests inject sleep). */
export function githubRetrier(options: HttpCallOptions = {}): Retrier {
  const now = options.now ?? Date.now
  return createRetrier({
    attempts: 3,
    ...options,
    service: 'GitHub',
    classify: (error, maxRetryAfterMs) => classifyGithubError(error, maxRetryAfterMs, now()),
    describe: (error) => {
      const status = (error as OctokitError | undefined)?.status
      return status === undefined ? `no answer (${describeError(error)})` : `HTTP ${status}`
    },
  })
}

/** Pull requests the run belongs to: the event's PR, or (for `pr-comment: always`) the PRs holding the commit. */
export async function pullRequestNumbers(
  octokit: Octokit | undefined,
  context: typeof github.context,
  includeCommitPulls: boolean,
): Promise<number[]> {
  const fromEvent = context.payload.pull_request?.number
  if (typeof fromEvent === 'number') return [fromEvent]
  if (!includeCommitPulls || !octokit || !context.sha) return []
  const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
    owner: context.repo.owner,
    repo: context.repo.repo,
    commit_sha: context.sha,
  })
  return data.filter((pull) => pull.state === 'open').map((pull) => pull.number)
}
