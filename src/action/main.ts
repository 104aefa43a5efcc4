import { appendFileSync } from 'node:fs'
import { appendFile } from 'node:fs/promises'
import { EOL } from 'node:os'
import * as actionsCache from '@actions/cache'
import path from 'node:path'
import * as core from '@actions/core'
import * as github from '@actions/github'
import { readCapacitorConfig } from '../core/capacitor-config.js'
import { type LiveUpdateConfig, resolveConfig, secretParts } from '../core/config/index.js'
import { describeError, LiveUpdateError } from '../core/errors.js'
import { INPUT_DEFAULTS, renderFields, SECRET_INPUTS, type InputName } from '../core/inputs/index.js'
import { PublishFailure, publish } from '../core/publish.js'
import { createRegistrar, mightBeRegistered, RegistrationError } from '../core/register/index.js'
import { commentMarker, renderReport, type ReportView } from '../core/report.js'
import { renderChanges } from '../core/report/changes.js'
import { createStore } from '../core/storage/index.js'
import { describeBucket } from '../core/storage/s3-client.js'
import type { Logger, PublishResult, StageTiming } from '../core/types.js'
import { publishReleaseOptions, releaseReader, runReleaseMode } from '../core/modes/run.js'
import type { ReleaseOutcome } from '../core/modes/outcome.js'
import { resumeWorkflowCommands, runActionBuild } from './build.js'
import { type EventPayload, runContext } from './context.js'
import { outputsOf, releaseOutputsOf } from './outputs.js'
import os from 'node:os'
import { type BundleCacheSession, restoreBundleCache } from './bundle-cache.js'
import { githubRetrier, pullRequestNumbers, upsertComment } from './pr-comment.js'

/** Core messages name fields as {{name}}; the action shows them as its input names. */
const shown = (message: string): string => renderFields(message, 'action')

const input = (name: InputName): string => core.getInput(name)

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

/** The stage in progress, for a summary written in a hurry (`hardStop`). */
let runningStage = 'input'

/**
 * When a cancel's clean-up outlasts the time before the runner's SIGKILL: the work folders are
 * already gone (cancel-on-signal); still fail the step and leave a summary that says where it stopped.
 */
export function hardStop(signalName: string): void {
  resumeWorkflowCommands()
  const message = `cancelled (${signalName}) during the ${runningStage} stage; cleaning up did not finish in time. Check the storage for an incomplete upload or an unregistered object.`
  core.setFailed(`${runningStage} failed: ${message}`)
  const file = process.env.GITHUB_STEP_SUMMARY
  if (!file) return
  try {
    appendFileSync(file, `### Live update\n\n❌ **Failed at stage \`${runningStage}\`**: ${message}\n`)
  } catch {
    // Best effort: the process is leaving.
  }
}

export async function run(options: { signal?: AbortSignal } = {}): Promise<void> {
  const { signal } = options
  let config: LiveUpdateConfig | undefined
  let result: PublishResult | undefined
  let release: ReleaseOutcome | undefined
  let failure: ReportView['failure']
  const buildTimings: StageTiming[] = []
  // Read now, not at import: github.context is built once per process, from the environment.
  const context = new (github.context.constructor as new () => typeof github.context)()
  const runInfo = runContext(process.env, process.cwd(), context.payload as EventPayload)
  let cacheSession: BundleCacheSession | undefined
  try {
    const inputSecrets = maskSecretInputs()
    config = await resolveConfig(input, runInfo)
    for (const value of config.secrets) core.setSecret(value)
    const ready = config
    const logger: Logger = {
      info: (message) => core.info(shown(message)),
      warn: (message) => core.warning(shown(message)),
      debug: (message) => core.debug(shown(message)),
    }
    if (ready.release.mode !== 'publish') {
      // Promote, rollback and cleanup build and upload nothing.
      runningStage = 'release'
      const store = createStore(ready.storage, { logger })
      release = await runReleaseMode(ready, { store, logger, signal })
      for (const [name, value] of Object.entries(releaseOutputsOf(release))) core.setOutput(name, value)
      return
    }
    if (ready.checkOnly)
      core.warning(`${ready.checkOnly.reason}: only checking the build; signing and upload are skipped.`)
    if (ready.buildCommand) {
      const started = Date.now()
      runningStage = 'build'
      await runActionBuild(ready, SECRET_INPUTS, inputSecrets, signal)
      buildTimings.push({ stage: 'build', ms: Date.now() - started })
    }
    // The logger lets retries and clean-ups show in the log (their messages never hold secrets).
    const store = createStore(ready.storage, { logger })
    const releaseOptions = publishReleaseOptions(ready, { store, logger, signal })
    if (ready.bundleCache)
      cacheSession = await restoreBundleCache(actionsCache, process.env.RUNNER_TEMP || os.tmpdir(), process.env, logger)
    result = await publish(
      { ...ready.publish, cacheDir: cacheSession?.dir },
      {
        store,
        registrar: createRegistrar(ready.registrar, { logger, signal, store }),
        release: releaseOptions,
        releases: releaseOptions?.records ?? releaseReader(ready, { store, logger }),
        logger,
        signal,
        runStage: async (name, work) => {
          runningStage = name
          const started = Date.now()
          return core.group(name, async () => {
            try {
              return await work()
            } finally {
              core.info(`${name} took ${Date.now() - started} ms`)
            }
          })
        },
      },
    )
    result = { ...result, timings: [...buildTimings, ...result.timings] }
    for (const [name, value] of Object.entries(outputsOf(result))) core.setOutput(name, value)
    core.info(`${result.status}: ${result.appId} ${result.version} on channel ${result.channel}`)
  } catch (error) {
    failure = describeFailure(error, buildTimings)
    core.setFailed(`${failure.stage} failed: ${failure.message}`)
  } finally {
    // A bundle that was made is worth caching even when a later stage failed.
    const bundle = result?.bundle ?? failure?.bundle
    if (cacheSession && bundle)
      await cacheSession.save(
        config?.publish.compressionLevel ?? 6,
        bundle.files.map((file) => file.sha256),
      )
    await report(config, result, failure, context, runInfo.git?.runUrl, signal, release)
  }
}

function describeFailure(error: unknown, buildTimings: StageTiming[]): NonNullable<ReportView['failure']> {
  if (error instanceof PublishFailure) {
    // What the update server may hold decides the summary's sentence after a registration failure.
    const bundleState =
      error.cause instanceof RegistrationError
        ? error.cause.bundleState
        : mightBeRegistered(error.cause)
          ? 'maybe-registered'
          : 'not-registered'
    return {
      stage: error.stage,
      message: shown(error.message),
      bundle: error.bundle,
      timings: [...buildTimings, ...error.timings],
      bundleState,
    }
  }
  const stage = error instanceof LiveUpdateError ? error.stage : 'input'
  return { stage, message: shown(describeError(error)), timings: buildTimings }
}

async function report(
  config: LiveUpdateConfig | undefined,
  result: PublishResult | undefined,
  failure: ReportView['failure'],
  context: typeof github.context,
  runUrl: string | undefined,
  signal?: AbortSignal,
  release?: ReleaseOutcome,
): Promise<void> {
  const view: ReportView = {
    // Unset inputs read as '': the report then shows '—', not an empty cell.
    appId: config?.publish.appId ?? (input('app-id') || (await appIdOfProject())),
    version: config?.publish.version || input('version') || undefined,
    channel: config?.release.channel ?? (input('channel') || INPUT_DEFAULTS.channel),
    mode: config?.release.mode,
    release,
    preview: Boolean(config?.release.preview),
    dryRun: config?.publish.dryRun ?? false,
    server: config ? config.registrar.kind : input('server') || INPUT_DEFAULTS.server!,
    storage: config ? describeStorage(config) : input('storage') || INPUT_DEFAULTS.storage!,
    result,
    failure,
    // Known from the run, not the inputs: an input failure links its run too.
    runUrl,
    changes: result?.changes ? renderChanges(result.changes) : undefined,
  }
  const markdown = renderReport(view)
  if (config?.report.summary ?? true) await writeSummary(markdown)
  // After a cancel, the seconds left go to cleaning up and the summary, not to GitHub's API.
  if (config && config.report.prComment !== 'never' && view.appId && view.channel && !signal?.aborted) {
    await commentOnPullRequests(config, view, markdown, context)
  }
}

/** After an input failure, the app id capacitor.config names (best effort: the summary only shows it). */
async function appIdOfProject(): Promise<string | undefined> {
  try {
    return (
      await readCapacitorConfig(
        path.resolve(process.cwd(), input('working-directory') || INPUT_DEFAULTS['working-directory']!),
      )
    ).appId
  } catch {
    return undefined
  }
}

/** Appends to the job summary file (what core.summary.write does, without its per-process cache of the path). */
async function writeSummary(markdown: string): Promise<void> {
  const file = process.env.GITHUB_STEP_SUMMARY
  if (!file) {
    core.debug('GITHUB_STEP_SUMMARY is not set: no job summary written.')
    return
  }
  try {
    await appendFile(file, `${markdown}${EOL}`)
  } catch (error) {
    core.warning(`Could not write the job summary: ${describeError(error)}`)
  }
}

function describeStorage(config: LiveUpdateConfig): string {
  const storage = config.storage
  // describeBucket shows the endpoint's origin only: the summary and PR comment are not masked.
  if (storage.kind === 's3') return describeBucket(storage)
  return storage.kind === 'dir' ? `folder ${storage.dir}` : 'none (dry run)'
}

async function commentOnPullRequests(
  config: LiveUpdateConfig,
  view: ReportView,
  markdown: string,
  context: typeof github.context,
): Promise<void> {
  const token = config.report.githubToken
  const isPullRequestEvent = Boolean(context.payload.pull_request)
  if (!isPullRequestEvent && config.report.prComment === 'auto') return
  if (!token) {
    core.warning("No 'github-token': skipping the pull request comment.")
    return
  }
  try {
    // The API URL is read now: @actions/github reads GITHUB_API_URL once, when it is first imported.
    const octokit = github.getOctokit(token, { baseUrl: process.env.GITHUB_API_URL || 'https://api.github.com' })
    const retry = githubRetrier({ logger: { info: core.info, warn: core.warning, debug: core.debug } })
    const numbers = await retry(() => pullRequestNumbers(octokit, context, config.report.prComment === 'always'))
    for (const issueNumber of numbers) {
      const target = { ...context.repo, issueNumber }
      const action = await upsertComment(octokit, target, commentMarker(view.appId!, view.channel!), markdown, {
        retry,
        summaryUrl: view.runUrl,
      })
      core.info(`Pull request #${issueNumber}: comment ${action}`)
    }
  } catch (error) {
    const status = (error as { status?: number }).status
    if (status === 403 || status === 401) {
      core.warning(
        `Could not comment on the pull request (HTTP ${status}): the token is read-only (fork pull requests get one). Grant 'permissions: pull-requests: write' to the job, or set 'pr-comment: never'.`,
      )
    } else {
      core.warning(`Could not comment on the pull request: ${describeError(error)}`)
    }
  }
}
