/** The only place that reads GitHub's run environment (GITHUB_*, RUNNER_TEMP) for the pipeline. */
import type { RunContext } from '../core/config/index.js'

/** Events whose runs may get no secrets (forks, Dependabot): a missing key then means "check only". */
const SECRETLESS_EVENTS = new Set(['pull_request'])

/** The parts of the event payload that say why a pull request run may get no secrets. */
export interface EventPayload {
  pull_request?: { head?: { repo?: { full_name?: string } | null } }
  sender?: { login?: string }
}

export function runContext(env: NodeJS.ProcessEnv, cwd: string, payload: EventPayload = {}): RunContext {
  const runUrl =
    env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined
  const pullNumber = /^refs\/pull\/(\d+)\//.exec(env.GITHUB_REF ?? '')?.[1]
  return {
    cwd,
    tempDir: env.RUNNER_TEMP || undefined,
    ref: env.GITHUB_REF || undefined,
    git: {
      sha: env.GITHUB_SHA || undefined,
      ref: env.GITHUB_REF || undefined,
      repository: env.GITHUB_REPOSITORY || undefined,
      runUrl,
      runId: env.GITHUB_RUN_ID || undefined,
      runAttempt: env.GITHUB_RUN_ATTEMPT || undefined,
    },
    runNumber: env.GITHUB_RUN_NUMBER || undefined,
    pullRequest: SECRETLESS_EVENTS.has(env.GITHUB_EVENT_NAME ?? '')
      ? { number: pullNumber ? Number(pullNumber) : undefined, secretsWithheld: secretsWithheld(env, payload) }
      : undefined,
  }
}

function secretsWithheld(env: NodeJS.ProcessEnv, payload: EventPayload): string | undefined {
  if (env.GITHUB_ACTOR === 'dependabot[bot]' || payload.sender?.login === 'dependabot[bot]')
    return 'a Dependabot pull request'
  const head = payload.pull_request?.head?.repo?.full_name
  if (head && env.GITHUB_REPOSITORY && head !== env.GITHUB_REPOSITORY) return `a pull request from the fork ${head}`
  return undefined
}
