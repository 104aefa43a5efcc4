/**
 * What the build may see, for the action and the CLI alike (documented in docs/build-isolation.md).
 * The build keeps the job's environment (PATH, HOME, CI, RUNNER_*, the GITHUB_* context, the user's
 * own variables) minus: every action input (INPUT_*), the runner's tokens, the workflow-command
 * files (the build must not speak for the action: forge its outputs or summary, or set variables
 * for later steps), and every variable whose value is or holds a secret the action was given.
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import {
  buildEnvironment,
  killProcessGroup,
  runBuild,
  type BuildDependencies,
  type BuildOptions,
} from '../core/build.js'
import type { Logger } from '../core/types.js'
import { scrubProcessMemory, type ScrubOutcome } from './scrub-process-memory.js'

/** Tokens that let code act as the workflow run (cache, artifacts, OIDC id tokens for cloud roles). */
const RUNNER_TOKENS = ['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_URL']

/** Files through which a step talks to the runner. */
const COMMAND_FILES = ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'GITHUB_ENV', 'GITHUB_PATH']

export function hiddenFromBuild(name: string): boolean {
  const upper = name.toUpperCase()
  return upper.startsWith('INPUT_') || RUNNER_TOKENS.includes(upper) || COMMAND_FILES.includes(upper)
}

/** Secret-bearing entries of this process's own initial environment: what the scrub erases. */
function secretName(name: string): boolean {
  const upper = name.toUpperCase()
  return upper.startsWith('INPUT_') || RUNNER_TOKENS.includes(upper)
}

/**
 * Linux: whether a member of the group is alive and not a zombie. Signal 0 also reaches zombies,
 * which an init that does not reap orphans (containers) keeps, and the SIGKILL grace would always run out.
 */
export function groupAlive(pgid: number): boolean {
  if (process.platform !== 'linux') return killProcessGroup(pgid, 0)
  let names: string[]
  try {
    names = readdirSync('/proc')
  } catch {
    return killProcessGroup(pgid, 0)
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8')
    } catch {
      continue
    }
    // After the ')' of comm: state, ppid, pgrp.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(pgrp) === pgid && state !== 'Z') return true
  }
  return false
}

export interface IsolatedBuild {
  command: string
  cwd: string
  timeoutMs: number
  /** The environment the build's is derived from (default process.env). */
  env?: NodeJS.ProcessEnv
  secrets: readonly string[]
  /** Names of secret inputs, removed from process.env once read (e.g. INPUT_PRIVATE-KEY). */
  forget?: (name: string) => boolean
  signal?: AbortSignal
  output: (chunk: Buffer) => void
  logger: Logger
}

/**
 * Hide the secrets from what the build can read of this process, then run it. Where that cannot be
 * done (not Linux, or /proc/self/mem not writable) the build still runs, with a warning that says
 * what to do instead: build in a separate step.
 */
export async function runIsolatedBuild(build: IsolatedBuild, deps: Partial<BuildDependencies> = {}): Promise<void> {
  const outcome: ScrubOutcome = scrubProcessMemory({
    secrets: build.secrets,
    eraseName: secretName,
    forgetName: build.forget,
  })
  if (outcome.ok) {
    build.logger.debug(
      `Erased ${outcome.erasedEnv.length} environment entries and ${outcome.erasedArgs} arguments from this process's /proc view before the build.`,
    )
  } else {
    build.logger.warn(
      `The build cannot be fully kept from the secrets here: ${outcome.reason}, so the build could read this process's initial environment (which holds the secret inputs). ` +
        "Run the build in a separate step before this one and leave 'build-command' empty.",
    )
  }
  const { env, dropped } = buildEnvironment(build.env ?? process.env, {
    secrets: build.secrets,
    dropName: hiddenFromBuild,
  })
  const droppedOthers = dropped.filter((name) => !hiddenFromBuild(name))
  if (droppedOthers.length > 0)
    build.logger.info(
      `Not passed to the build (their values are secrets given to the action): ${droppedOthers.join(', ')}`,
    )
  const options: BuildOptions = {
    command: build.command,
    cwd: build.cwd,
    env,
    timeoutMs: build.timeoutMs,
    signal: build.signal,
    output: build.output,
  }
  await runBuild(options, { spawn, killGroup: killProcessGroup, groupAlive, logger: build.logger, ...deps })
}
