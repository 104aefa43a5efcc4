/**
 * Cancellation: the adapters turn SIGINT/SIGTERM into an aborted AbortSignal whose reason is a
 * CancelledError; every stage listens to it, and the orchestrator cleans up (aborted upload,
 * deleted unregistered object, removed work folder) before the failure is reported.
 */
import { LiveUpdateError, type Stage } from './errors.js'
import type { Fetch, Sleep } from './types.js'

export class CancelledError extends LiveUpdateError {
  constructor(
    readonly signalName: string,
    stage: Stage = 'input',
    detail?: string,
  ) {
    super('run_cancelled_by_signal', `cancelled (${signalName})${detail ? `: ${detail}` : ''}`, { stage })
    this.name = 'CancelledError'
  }
}

export function isCancelled(error: unknown): error is CancelledError {
  return (
    error instanceof CancelledError || (error as { code?: unknown } | undefined)?.code === 'run_cancelled_by_signal'
  )
}

/** The signal's reason as a CancelledError (whatever aborted it). */
export function cancellationOf(signal: AbortSignal): CancelledError {
  const reason: unknown = signal.reason
  return reason instanceof CancelledError
    ? reason
    : new CancelledError(reason instanceof Error ? reason.message : 'aborted')
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancellationOf(signal)
}

/** Rejects as soon as `signal` aborts; `work` keeps running (the caller cleans up after it). */
export function whenCancelled(signal: AbortSignal | undefined): Promise<never> | undefined {
  if (!signal) return undefined
  return new Promise<never>((_resolve, reject) => {
    if (signal.aborted) reject(cancellationOf(signal))
    else signal.addEventListener('abort', () => reject(cancellationOf(signal)), { once: true })
  })
}

/** A fetch whose every request also ends when `signal` aborts. */
export function cancellableFetch(fetchImpl: Fetch, signal: AbortSignal | undefined): Fetch {
  if (!signal) return fetchImpl
  return ((input: Parameters<Fetch>[0], init: Parameters<Fetch>[1] = {}) => {
    throwIfCancelled(signal)
    const signals = init.signal ? [init.signal, signal] : [signal]
    return fetchImpl(input, { ...init, signal: AbortSignal.any(signals) })
  }) as Fetch
}

/** A sleep that ends early, rejecting with the cancellation, when `signal` aborts (retry backoffs). */
export function cancellableSleep(sleep: Sleep, signal: AbortSignal | undefined): Sleep {
  if (!signal) return sleep
  return (ms) => {
    throwIfCancelled(signal)
    const cancelled = whenCancelled(signal)!
    cancelled.catch(() => undefined)
    return Promise.race([sleep(ms), cancelled])
  }
}
