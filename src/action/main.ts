import * as core from '@actions/core'
import * as github from '@actions/github'
import { type LiveUpdateConfig, resolveConfig, secretParts } from '../core/config.js'
import { describeError, LiveUpdateError } from '../core/errors.js'
import { PublishFailure, publish } from '../core/publish.js'
import { createRegistrar, mightBeRegistered, RegistrationError } from '../core/register/index.js'
import { commentMarker, renderReport, type ReportView } from '../core/report.js'
import { createStore } from '../core/storage/index.js'
import { describeBucket } from '../core/storage/s3-client.js'
import type { PublishResult, StageTiming } from '../core/types.js'
import { runActionBuild } from './build.js'
import { outputsOf } from './outputs.js'
import { githubRetrier, pullRequestNumbers, upsertComment } from './pr-comment.js'

/** Inputs whose values are secret: masked before anything else runs. */
const SECRET_INPUTS = ['private-key', 's3-access-key-id', 's3-secret-access-key', 'capgo-api-key', 'webhook-secret', 'github-token']

/** Masks every secret input and returns the values (and their lines): the build must see none. */
function maskSecretInputs(): string[] {
  const secrets: string[] = []
  for (const name of SECRET_INPUTS) {
    const value = core.getInput(name)
    if (!value) continue
    // Multi-line values (PEMs) are also masked line by line, so no line of them can ever show.
    for (const part of secretParts(value)) core.setSecret(part)
    secrets.push(...secretParts(value))
  }
  return secrets
}

export async function run(options: { signal?: AbortSignal } = {}): Promise<void> {
  const { signal } = options
  let config: LiveUpdateConfig | undefined
  let result: PublishResult | undefined
  let failure: ReportView['failure']
  const buildTimings: StageTiming[] = []
  try {
    const inputSecrets = maskSecretInputs()
    config = await resolveConfig((name) => core.getInput(name), { cwd: process.cwd(), env: process.env })
    for (const value of config.secrets) core.setSecret(value)
    const ready = config
    if (ready.buildCommand) {
      const started = Date.now()
      await runActionBuild(ready, SECRET_INPUTS, inputSecrets, signal)
      buildTimings.push({ stage: 'build', ms: Date.now() - started })
    }
    const logger = { info: core.info, warn: core.warning, debug: core.debug }
    result = await publish(ready.publish, {
      // The logger lets retries and clean-ups show in the log (their messages never hold secrets).
      store: createStore(ready.storage, { logger }),
      registrar: createRegistrar(ready.registrar, { logger, signal }),
      logger,
      signal,
      runStage: async (name, work) => {
        const started = Date.now()
        return core.group(name, async () => {
          try {
            return await work()
          } finally {
            core.info(`${name} took ${Date.now() - started} ms`)
          }
        })
      },
    })
    result = { ...result, timings: [...buildTimings, ...result.timings] }
    for (const [name, value] of Object.entries(outputsOf(result))) core.setOutput(name, value)
    core.info(`${result.status}: ${result.appId} ${result.version} on channel ${result.channel}`)
  } catch (error) {
    failure = describeFailure(error, buildTimings)
    core.setFailed(`${failure.stage} failed: ${failure.message}`)
  } finally {
    await report(config, result, failure, signal)
  }
}

function describeFailure(error: unknown, buildTimings: StageTiming[]): NonNullable<ReportView['failure']> {
  if (error instanceof PublishFailure) {
    // What the update server may hold decides the summary's sentence after a registration failure.
    const bundleState = error.cause instanceof RegistrationError ? error.cause.bundleState : mightBeRegistered(error.cause) ? 'maybe-registered' : 'not-registered'
    return { stage: error.stage, message: error.message, bundle: error.bundle, timings: [...buildTimings, ...error.timings], bundleState }
  }
  const stage = error instanceof LiveUpdateError ? error.stage : 'input'
  return { stage, message: describeError(error), timings: buildTimings }
}

async function report(config: LiveUpdateConfig | undefined, result: PublishResult | undefined, failure: ReportView['failure'], signal?: AbortSignal): Promise<void> {
  const env = process.env
  const view: ReportView = {
    // Unset inputs read as '': the report then shows '—', not an empty cell.
    appId: config?.publish.appId ?? (core.getInput('app-id') || undefined),
    version: config?.publish.version ?? (core.getInput('version') || undefined),
    channel: config?.publish.channel ?? (core.getInput('channel') || 'production'),
    dryRun: config?.publish.dryRun ?? false,
    server: config ? config.registrar.kind : core.getInput('server') || 'capgo',
    storage: config ? describeStorage(config) : core.getInput('storage') || 's3',
    result,
    failure,
    runUrl: config?.publish.git?.runUrl,
  }
  const markdown = renderReport(view)
  if (config?.report.summary ?? true) {
    if (env.GITHUB_STEP_SUMMARY) {
      try {
        await core.summary.addRaw(markdown, true).write()
      } catch (error) {
        core.warning(`Could not write the job summary: ${describeError(error)}`)
      }
    } else {
      core.debug('GITHUB_STEP_SUMMARY is not set: no job summary written.')
    }
  }
  // After a cancel, the seconds left go to cleaning up and the summary, not to GitHub's API.
  if (config && config.report.prComment !== 'never' && view.appId && view.channel && !signal?.aborted) {
    await commentOnPullRequests(config, view, markdown)
  }
}

function describeStorage(config: LiveUpdateConfig): string {
  const storage = config.storage
  // describeBucket shows the endpoint's origin only: the summary and PR comment are not masked.
  if (storage.kind === 's3') return describeBucket(storage)
  return storage.kind === 'dir' ? `folder ${storage.dir}` : 'none (dry run)'
}

async function commentOnPullRequests(config: LiveUpdateConfig, view: ReportView, markdown: string): Promise<void> {
  const token = config.report.githubToken
  const isPullRequestEvent = Boolean(github.context.payload.pull_request)
  if (!isPullRequestEvent && config.report.prComment === 'auto') return
  if (!token) {
    core.warning("No 'github-token': skipping the pull request comment.")
    return
  }
  try {
    const octokit = github.getOctokit(token)
    const retry = githubRetrier({ logger: { info: core.info, warn: core.warning, debug: core.debug } })
    const numbers = await retry(() => pullRequestNumbers(octokit, github.context, config.report.prComment === 'always'))
    for (const issueNumber of numbers) {
      const target = { ...github.context.repo, issueNumber }
      const action = await upsertComment(octokit, target, commentMarker(view.appId!, view.channel!), markdown, { retry, summaryUrl: view.runUrl })
      core.info(`Pull request #${issueNumber}: comment ${action}`)
    }
  } catch (error) {
    const status = (error as { status?: number }).status
    if (status === 403 || status === 401) {
      core.warning(`Could not comment on the pull request (HTTP ${status}): the token is read-only (fork pull requests get one). Grant 'permissions: pull-requests: write' to the job, or set 'pr-comment: never'.`)
    } else {
      core.warning(`Could not comment on the pull request: ${describeError(error)}`)
    }
  }
}
