/**
 * The PR comment in-process against the GitHub API stand-in (strict: token, repository, body
 * non-empty and at most 65,536 characters), with a fake sleep: retries, no duplicates after a lost
 * answer, and the size cap.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import * as github from '@actions/github'
import {
  classifyGithubError,
  commentText,
  githubRetrier,
  MAX_COMMENT_LENGTH,
  upsertComment,
} from '../../src/action/pr-comment.js'
import { startGithubApi, type GithubApiStandIn } from '../support/github-api.js'

const TOKEN = 'ghs_pr_comment_test_token_0123456789'
const MARKER = '<!-- capacitor-live-update-action:com.example.app:production -->'
const target = { owner: 'acme', repo: 'app', issueNumber: 7 }

let api: GithubApiStandIn
let waits: number[]
beforeEach(async () => {
  api = await startGithubApi({ token: TOKEN, repository: 'acme/app' })
  waits = []
})
afterEach(async () => {
  await api.close()
})

const octokit = () => github.getOctokit(TOKEN, { baseUrl: api.url })
const retry = () => githubRetrier({ sleep: async (ms) => void waits.push(ms), random: () => 0.5 })

describe('PR comment', () => {
  it('creates once, then edits the same comment', async () => {
    await expect(upsertComment(octokit(), target, MARKER, 'first', { retry: retry() })).resolves.toBe('created')
    await expect(upsertComment(octokit(), target, MARKER, 'second', { retry: retry() })).resolves.toBe('updated')
    expect(api.comments.map((comment) => comment.body)).toEqual([`${MARKER}\nsecond`])
  })

  it('a 502 is retried', async () => {
    api.fail({ method: 'POST', status: 502 })
    await expect(upsertComment(octokit(), target, MARKER, 'body', { retry: retry() })).resolves.toBe('created')
    expect(api.comments).toHaveLength(1)
    expect(waits).toHaveLength(1)
  })

  it('a create whose answer was lost is found and edited by the retry, never posted twice', async () => {
    api.fail({ method: 'POST', status: 502, afterHandling: true })
    await expect(upsertComment(octokit(), target, MARKER, 'body', { retry: retry() })).resolves.toBe('updated')
    expect(api.comments).toHaveLength(1)
    expect(api.requests.map((request) => request.method)).toEqual(['GET', 'POST', 'GET', 'PATCH'])
  })

  it('a secondary rate limit waits the Retry-After it was given', async () => {
    api.fail({ method: 'GET', status: 403, headers: { 'retry-after': '3' } })
    await expect(upsertComment(octokit(), target, MARKER, 'body', { retry: retry() })).resolves.toBe('created')
    expect(waits).toEqual([3000])
  })

  it("a read-only token's 403 is final: one attempt, the status reaches the caller", async () => {
    api.readOnly = true
    await expect(upsertComment(octokit(), target, MARKER, 'body', { retry: retry() })).rejects.toMatchObject({
      status: 403,
    })
    expect(waits).toEqual([])
  })

  it('a report longer than GitHub allows is cut at a paragraph with a pointer to the job summary', async () => {
    const paragraph = `${'x'.repeat(999)}\n`
    const body = Array.from({ length: 80 }, () => paragraph).join('\n')
    await upsertComment(octokit(), target, MARKER, body, {
      retry: retry(),
      summaryUrl: 'https://github.com/acme/app/actions/runs/1',
    })
    const stored = api.comments[0]!.body
    expect(stored.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH)
    expect(stored.startsWith(`${MARKER}\n`)).toBe(true)
    expect(stored).toMatch(
      /x\n\n---\n✂️ .*\[View the full job summary\]\(https:\/\/github\.com\/acme\/app\/actions\/runs\/1\)\.\n$/,
    )
    expect(commentText(MARKER, 'short')).toBe(`${MARKER}\nshort`)
  })
})

describe('classifyGithubError', () => {
  const now = Date.parse('2026-12-01T00:00:00Z')
  const error = (status: number | undefined, headers: Record<string, string> = {}) => ({
    status,
    response: { headers },
  })
  it.each([
    ['500', error(500), { retry: true }],
    ['408', error(408), { retry: true }],
    ['429 without Retry-After', error(429), { retry: true }],
    ['no answer', new Error('socket hang up'), { retry: true }],
    ['401', error(401), { retry: false }],
    ['403 without a rate-limit header', error(403), { retry: false }],
    ['404', error(404), { retry: false }],
    ['422', error(422), { retry: false }],
    [
      '403 with an exhausted primary limit',
      error(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 20) }),
      { retry: true, delayMs: 20_000 },
    ],
    ['429 asking for an hour', error(429, { 'retry-after': '3600' }), { retry: false }],
  ])('%s', (_label, failure, verdict) => {
    expect(classifyGithubError(failure, 60_000, now)).toEqual(verdict)
  })
})
