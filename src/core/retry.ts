import type { Sleep } from './types.js'

export interface RetryOptions {
  /** Total attempts including the first. */
  attempts: number
  /** First backoff in ms; doubles each time (full jitter). */
  baseDelayMs: number
  maxDelayMs: number
  /** Give up once this much time has passed since the first attempt (ms). */
  deadlineMs?: number
  /** Decide whether an error is worth another attempt, and optionally how long to wait (Retry-After). */
  classify(error: unknown): { retry: boolean; delayMs?: number }
  /** Called before each wait: for "attempt n of m" log lines. */
  onRetry?(info: { attempt: number; attempts: number; delayMs: number; error: unknown }): void
  sleep?: Sleep
  now?: () => number
  random?: () => number
}

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Exponential backoff with full jitter; a server-given delay (Retry-After) wins over the jitter. */
export async function retryWithBackoff<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const sleep = options.sleep ?? realSleep
  const now = options.now ?? Date.now
  const random = options.random ?? Math.random
  const started = now()
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt)
    } catch (error) {
      const verdict = options.classify(error)
      if (!verdict.retry || attempt >= options.attempts) throw error
      const backoff = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1))
      const delayMs = verdict.delayMs ?? Math.round(random() * backoff)
      if (options.deadlineMs !== undefined && now() - started + delayMs > options.deadlineMs) throw error
      options.onRetry?.({ attempt, attempts: options.attempts, delayMs, error })
      await sleep(delayMs)
    }
  }
}

/** Parse an HTTP Retry-After header (seconds or HTTP date) into ms, capped. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
  capMs = 120_000,
): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(capMs, Math.round(seconds * 1000))
  const date = Date.parse(value)
  if (Number.isNaN(date)) return undefined
  return Math.min(capMs, Math.max(0, date - now))
}
