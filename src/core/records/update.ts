/**
 * Race-safe read-modify-write of one record.
 *
 * Conditional path (AWS S3, R2, MinIO, Ceph, GCS, the folder store): read the record and its ETag,
 * apply the change, write with `If-Match: <etag>` (or `If-None-Match: *` when there was none); a
 * 412 means another writer got there first: read again and re-apply (bounded, jittered).
 *
 * Fallback (providers that answer 501 to conditional PUTs, e.g. Swift s3api): write without a
 * condition, wait `settleMs`, read back, and check that our change is in what the store now holds
 * (`applied`: the change's own writer token or effect); if a concurrent writer's stale copy
 * replaced it, re-apply on top of theirs and repeat. Every writer stops only after it has seen its
 * own change survive a settle delay, so concurrent writers converge. What remains: a writer whose
 * read-to-write gap exceeds `settleMs` (a process stalled between its read and its write) can still
 * overwrite a change that was already verified. docs/release-records.md says so.
 */
import { randomBytes } from 'node:crypto'
import { LiveUpdateError } from '../errors.js'
import { realSleep } from '../retry.js'
import { isConditionalUnsupported, isWriteConflict } from '../storage/conditions.js'
import type { BundleStore, Logger, Sleep } from '../types.js'

export interface RecordChange<T> {
  key: string
  parse(value: unknown): T
  /** The record with the change applied, or undefined when there is nothing to change. */
  apply(current: T | undefined): T | undefined
  /** Whether the change is visible in `current` (the fallback's read-back check). */
  applied(current: T | undefined): boolean
}

export interface UpdateSettings {
  logger?: Logger
  sleep?: Sleep
  random?: () => number
  /** Read-modify-write attempts before giving up (default 12). */
  attempts?: number
  /** Fallback: wait this long before the read-back (default 1500 ms). */
  settleMs?: number
  /** Skip conditional writes (tests of the fallback on stores that have them). */
  forceFallback?: boolean
}

export type WritePath = 'conditional' | 'fallback'

export interface UpdateOutcome<T> {
  value: T | undefined
  changed: boolean
  path: WritePath
  attempts: number
}

/** Stores that answered 501 to a conditional write: the fallback is used from then on. */
const unconditional = new WeakSet<BundleStore>()

export function writerToken(): string {
  return randomBytes(8).toString('hex')
}

export async function updateRecord<T>(
  store: BundleStore,
  change: RecordChange<T>,
  settings: UpdateSettings = {},
): Promise<UpdateOutcome<T>> {
  const attempts = settings.attempts ?? 12
  const sleep = settings.sleep ?? realSleep
  const random = settings.random ?? Math.random
  const backoff = (attempt: number) => sleep(Math.round(random() * Math.min(1000, 20 * 2 ** attempt)))

  if (!settings.forceFallback && !unconditional.has(store)) {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const current = await store.getJson(change.key)
      const parsed = current ? change.parse(current.value) : undefined
      const next = change.apply(parsed)
      if (next === undefined) return { value: parsed, changed: false, path: 'conditional', attempts: attempt }
      try {
        await store.putJson(change.key, next, current ? { ifMatch: current.etag } : { ifNoneMatch: '*' })
        return { value: next, changed: true, path: 'conditional', attempts: attempt }
      } catch (error) {
        if (isConditionalUnsupported(error)) {
          unconditional.add(store)
          settings.logger?.info(
            `${store.describe()} does not support conditional writes; records are updated with write, wait, read-back and retry instead.`,
          )
          break
        }
        if (!isWriteConflict(error)) throw error
        settings.logger?.debug(
          `${change.key} changed while it was updated (attempt ${attempt} of ${attempts}); reading it again.`,
        )
        await backoff(attempt)
      }
    }
    if (!unconditional.has(store) && !settings.forceFallback) throw contention(change.key, attempts)
  }
  return fallbackUpdate(store, change, settings, attempts, sleep, random, backoff)
}

async function fallbackUpdate<T>(
  store: BundleStore,
  change: RecordChange<T>,
  settings: UpdateSettings,
  attempts: number,
  sleep: Sleep,
  random: () => number,
  backoff: (attempt: number) => Promise<void>,
): Promise<UpdateOutcome<T>> {
  const settleMs = settings.settleMs ?? 1500
  let wrote = false
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = await store.getJson(change.key)
    const parsed = current ? change.parse(current.value) : undefined
    const next = change.apply(parsed)
    if (next === undefined) return { value: parsed, changed: wrote, path: 'fallback', attempts: attempt }
    await store.putJson(change.key, next)
    wrote = true
    await sleep(settleMs + Math.round(random() * settleMs * 0.2))
    const back = await store.getJson(change.key)
    const landed = back ? change.parse(back.value) : undefined
    if (change.applied(landed)) return { value: landed, changed: true, path: 'fallback', attempts: attempt }
    settings.logger?.info(
      `${change.key}: a concurrent writer replaced this update (attempt ${attempt} of ${attempts}); applying it again.`,
    )
    await backoff(attempt)
  }
  throw contention(change.key, attempts)
}

function contention(key: string, attempts: number): LiveUpdateError {
  return new LiveUpdateError(
    'records_update_contended',
    `Could not update ${key} after ${attempts} attempts: other publishes kept changing it. Re-run this job; nothing else needs fixing.`,
    { stage: 'records' },
  )
}
