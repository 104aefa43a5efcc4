/**
 * The `build-command` runner, shared by the action and the CLI. The build is third-party code (the
 * dependency tree's scripts and plugins), so it runs with an environment chosen by the caller
 * (see `buildEnvironment`), in a process group of its own that is always ended: on timeout, on
 * cancellation, and when the command itself exits (a leftover daemon must not outlive the build).
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import { CancelledError, cancellationOf } from './cancel.js'
import { LiveUpdateError } from './errors.js'
import type { Logger } from './types.js'

export type SpawnFunction = (command: string, args: string[], options: SpawnOptions) => ChildProcess

export interface BuildOptions {
  command: string
  cwd: string
  /** The whole environment of the build (nothing else is inherited). */
  env: Record<string, string>
  timeoutMs: number
  /** Cancellation: the build's process group is ended and the run fails with stage `build`. */
  signal?: AbortSignal
  /** Receives the build's output (stdout and stderr). */
  output: (chunk: Buffer) => void
}

export interface BuildDependencies {
  spawn: SpawnFunction
  /** Send a signal to a whole process group; `false` when the group no longer exists. */
  killGroup: (pgid: number, signal: NodeJS.Signals | 0) => boolean
  logger: Logger
  /** Whether any live member of the group is left (default: signal 0, which also counts zombies). */
  groupAlive?: (pgid: number) => boolean
  /** How long the group has between SIGTERM and SIGKILL. */
  graceMs?: number
}

export const DEFAULT_BUILD_GRACE_MS = 2000

/** Runs `bash -c <command>` and resolves when it exits 0 and its process group is gone. */
export async function runBuild(options: BuildOptions, deps: BuildDependencies): Promise<void> {
  if (options.signal?.aborted) throw cancelled(options.signal)
  // detached: the child leads a new process group (setsid), so every grandchild can be ended at once.
  const child = deps.spawn('bash', ['-c', options.command], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', options.output)
  child.stderr?.on('data', options.output)
  const pgid = child.pid
  let reason: 'timeout' | 'cancelled' | undefined
  const stopGroup = (why: 'timeout' | 'cancelled') => {
    reason ??= why
    if (pgid !== undefined) void endGroup(pgid, deps)
  }
  const timer = setTimeout(() => stopGroup('timeout'), options.timeoutMs)
  const onAbort = () => stopGroup('cancelled')
  options.signal?.addEventListener('abort', onAbort, { once: true })
  // Last resort when the process exits in any way before the build's group is gone.
  const onExit = () => {
    if (pgid !== undefined) deps.killGroup(pgid, 'SIGKILL')
  }
  process.once('exit', onExit)
  try {
    const code = await new Promise<number | string>((resolve, reject) => {
      child.once('error', (error) =>
        reject(
          new LiveUpdateError(
            'build_shell_unavailable',
            `Could not start 'build-command' with bash: ${error.message}.`,
            { stage: 'build', input: 'build-command', cause: error },
          ),
        ),
      )
      child.once('exit', (status, signal) => resolve(status ?? signal ?? 'unknown'))
    })
    if (pgid !== undefined) {
      const leftover = await endGroup(pgid, deps)
      if (leftover && !reason) deps.logger.warn("'build-command' left processes running; they were ended with it.")
    }
    if (reason === 'cancelled') throw cancelled(options.signal)
    if (reason === 'timeout') {
      const minutes = +(options.timeoutMs / 60000).toFixed(2)
      throw new LiveUpdateError(
        'build_command_timeout',
        `'build-command' ran longer than ${minutes} minutes and was ended. Speed up the build or raise 'build-timeout-minutes'.`,
        { stage: 'build', input: 'build-timeout-minutes' },
      )
    }
    if (code !== 0) {
      throw new LiveUpdateError(
        'build_command_failed',
        `'build-command' exited with ${typeof code === 'number' ? `code ${code}` : `signal ${code}`}. Fix the build; nothing was published.`,
        { stage: 'build', input: 'build-command' },
      )
    }
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
    process.removeListener('exit', onExit)
  }
}

/** SIGTERM the group, then SIGKILL what is still there after the grace period; true when it existed. */
async function endGroup(pgid: number, deps: BuildDependencies): Promise<boolean> {
  const alive = deps.groupAlive ?? ((id: number) => deps.killGroup(id, 0))
  if (!alive(pgid) || !deps.killGroup(pgid, 'SIGTERM')) return false
  const deadline = Date.now() + (deps.graceMs ?? DEFAULT_BUILD_GRACE_MS)
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    if (!alive(pgid)) return true
  }
  deps.killGroup(pgid, 'SIGKILL')
  return true
}

function cancelled(signal?: AbortSignal): LiveUpdateError {
  const name = signal ? cancellationOf(signal).signalName : 'aborted'
  return new CancelledError(name, 'build', 'the build and every process it started were ended; nothing was published')
}

/** The default `killGroup`: process.kill on the negative pid (POSIX process groups). */
export function killProcessGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    // Windows has no process groups to signal: only the build's shell itself can be ended there.
    process.kill(process.platform === 'win32' ? pgid : -pgid, signal)
    return true
  } catch (error) {
    // ESRCH: no such group. EPERM: a member we may not signal (treated as gone for us).
    return (error as NodeJS.ErrnoException).code !== 'ESRCH' && (error as NodeJS.ErrnoException).code !== 'EPERM'
  }
}

export interface BuildEnvironmentRules {
  /** Values the build must never see (inputs the action was given as secrets, and their lines). */
  secrets: readonly string[]
  /** Variable names the build never gets, whatever their value. */
  dropName: (name: string) => boolean
}

/** Shortest secret part that is searched for inside other values (shorter ones must match whole). */
const MIN_CONTAINED_SECRET = 8

/** Whether `text` is one of `secrets` (non-empty) or, for those long enough to be searched for, holds one. */
export function holdsSecret(text: string, secrets: readonly string[]): boolean {
  return secrets.some((secret) => text === secret || (secret.length >= MIN_CONTAINED_SECRET && text.includes(secret)))
}

/**
 * The build's environment: `env` without the names `dropName` refuses and without any variable whose
 * value is a secret or holds one (a key copied into AWS_SECRET_ACCESS_KEY, a token in GITHUB_TOKEN).
 * Returns the names left out so the caller can say which (never their values).
 */
export function buildEnvironment(
  env: NodeJS.ProcessEnv,
  rules: BuildEnvironmentRules,
): { env: Record<string, string>; dropped: string[] } {
  const secrets = rules.secrets.filter((value) => value.length > 0)
  const kept: Record<string, string> = {}
  const dropped: string[] = []
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue
    if (rules.dropName(name) || holdsSecret(value, secrets)) dropped.push(name)
    else kept[name] = value
  }
  return { env: kept, dropped }
}
