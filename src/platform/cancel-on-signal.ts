/**
 * Turns SIGINT/SIGTERM into an aborted AbortSignal (reason: a CancelledError), so the pipeline can
 * clean up instead of dying mid-upload. GitHub cancels a job with SIGINT, then SIGTERM about 7.5 s
 * later, then SIGKILL about 2.5 s after that: if cleaning up takes longer than what is left before
 * the next signal, the process leaves on its own (after `onHardStop`) rather than be killed.
 */
import { CancelledError } from '../core/cancel.js'
import { removeTrackedPathsSync } from '../core/leftovers.js'
import type { Logger } from '../core/types.js'

export interface CancelOnSignal {
  signal: AbortSignal
  dispose(): void
}

/** Time left before the runner's next, harsher signal, minus a margin. */
const BUDGET_MS: Record<string, number> = { SIGINT: 6500, SIGTERM: 2000 }

export interface CancelOptions {
  /** Last words before a hard stop (the action writes its summary). */
  onHardStop?: (signalName: string) => void
  /** Exit code of a hard stop (default 1; the CLI uses 128 + the signal's number). */
  hardStopCode?: (signalName: string) => number
  exit?: (code: number) => void
}

export function cancelOnSignal(logger: Logger, options: CancelOptions = {}): CancelOnSignal {
  const controller = new AbortController()
  const exit = options.exit ?? ((code: number) => process.exit(code))
  let deadline = Number.POSITIVE_INFINITY
  let timer: NodeJS.Timeout | undefined
  let first = ''
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      first = name
      logger.warn(`Received ${name}: cancelling; cleaning up before exit.`)
      controller.abort(new CancelledError(name))
    } else {
      logger.warn(`Received ${name} while cleaning up after the cancel.`)
    }
    const next = Date.now() + (BUDGET_MS[name] ?? 2000)
    if (next < deadline) {
      deadline = next
      clearTimeout(timer)
      timer = setTimeout(() => {
        logger.warn(
          'Cleaning up took too long; exiting now (work folders removed). Check the storage for an incomplete upload.',
        )
        removeTrackedPathsSync()
        options.onHardStop?.(first)
        exit(options.hardStopCode?.(first) ?? 1)
      }, next - Date.now())
      timer.unref()
    }
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer)
      process.removeListener('SIGINT', onSignal)
      process.removeListener('SIGTERM', onSignal)
    },
  }
}
