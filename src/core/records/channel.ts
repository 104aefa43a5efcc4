/**
 * The changes publish, promote and rollback make to a channel record, as pure functions: the
 * current record in, the next record (or "nothing to do" with the reason) out. The race-safe
 * updater may call them more than once on fresher copies.
 */
import { LiveUpdateError } from '../errors.js'
import {
  emptyChannelRecord,
  HISTORY_LIMIT,
  OPERATIONS_LIMIT,
  type ChannelOperation,
  type ChannelRecord,
  type OperationKind,
  type ReleasePointer,
} from './schema.js'

export interface OperationContext {
  /** Writer token: marks this change so the fallback path can find it. */
  id: string
  at: string
  runId?: string
  runAttempt?: string
}

export type ChannelStep = { next: ChannelRecord; note: string } | { next?: undefined; note: string }

function withOperation(
  record: ChannelRecord,
  kind: OperationKind,
  version: string,
  ctx: OperationContext,
  from?: string,
): ChannelRecord {
  const op: ChannelOperation = { kind, version, at: ctx.at, id: ctx.id }
  if (ctx.runId) op.runId = ctx.runId
  if (ctx.runAttempt) op.runAttempt = ctx.runAttempt
  if (from) op.from = from
  return {
    ...record,
    revision: record.revision + 1,
    updatedAt: ctx.at,
    operations: [op, ...record.operations].slice(0, OPERATIONS_LIMIT),
  }
}

function pushHistory(history: ReleasePointer[], old: ReleasePointer | null, next: ReleasePointer): ReleasePointer[] {
  const kept = history.filter((entry) => entry.version !== next.version && entry.version !== old?.version)
  return (old && old.version !== next.version ? [old, ...kept] : kept).slice(0, HISTORY_LIMIT)
}

/** Our change is in the record (fallback read-back check). */
export function hasOperation(record: ChannelRecord | undefined, id: string): boolean {
  return Boolean(record?.operations.some((op) => op.id === id))
}

/** Set by a run of this workflow before (same run id, any attempt)? */
function doneByRun(record: ChannelRecord, kind: OperationKind, ctx: OperationContext): ChannelOperation | undefined {
  return ctx.runId ? record.operations.find((op) => op.kind === kind && op.runId === ctx.runId) : undefined
}

export interface PublishChange {
  appId: string
  channel: string
  release: ReleasePointer
  /** 0.01-100; 100 (or a channel without a stable) publishes straight to stable. */
  percentage: number
  preview?: { pullRequest?: number }
}

export function applyPublish(
  current: ChannelRecord | undefined,
  change: PublishChange,
  ctx: OperationContext,
): ChannelStep {
  const base = current ?? {
    ...emptyChannelRecord(change.appId, change.channel, ctx.at),
    ...(change.preview ? { preview: change.preview } : {}),
  }
  const { release, percentage } = change
  if (percentage < 100 && base.stable && base.stable.version !== release.version) {
    if (base.rollout?.release.version === release.version && base.rollout.percentage === percentage) {
      return { note: `${release.version} already rolls out to ${percentage} % of '${change.channel}'.` }
    }
    const next = withOperation({ ...base, rollout: { release, percentage } }, 'publish', release.version, ctx)
    return {
      next,
      note: `${release.version} rolls out to ${percentage} % of '${change.channel}'; ${base.stable.version} stays stable for the rest.`,
    }
  }
  if (base.stable?.version === release.version && !base.rollout)
    return { note: `${release.version} is already stable on '${change.channel}'.` }
  const next = withOperation(
    { ...base, stable: release, rollout: null, history: pushHistory(base.history, base.stable, release) },
    'publish',
    release.version,
    ctx,
  )
  const first = base.stable ? '' : ' (first release on this channel)'
  const straight =
    percentage < 100 && !base.stable ? `; no stable release to roll out against, so it goes to every device` : ''
  return { next, note: `${release.version} is now stable on '${change.channel}'${first}${straight}.` }
}

export function applyPromote(current: ChannelRecord | undefined, ctx: OperationContext): ChannelStep {
  if (!current) return { note: 'The channel has no releases: nothing to promote.' }
  const earlier = doneByRun(current, 'promote', ctx)
  if (earlier)
    return {
      note: `This run already promoted ${earlier.version} (attempt ${earlier.runAttempt ?? '?'}): nothing to do.`,
    }
  if (!current.rollout)
    return {
      note: `No rollout is active on '${current.channel}'${current.stable ? ` (${current.stable.version} is stable)` : ''}: nothing to promote.`,
    }
  const release = current.rollout.release
  const next = withOperation(
    { ...current, stable: release, rollout: null, history: pushHistory(current.history, current.stable, release) },
    'promote',
    release.version,
    ctx,
    current.stable?.version,
  )
  return {
    next,
    note: `${release.version} (was at ${current.rollout.percentage} %) is now stable on '${current.channel}'.`,
  }
}

/** The release rollback goes to: `version` when given (resolved by the caller), else the previous stable. */
export function rollbackTarget(current: ChannelRecord | undefined, channel: string): ReleasePointer {
  const previous = current?.history[0]
  if (!previous) {
    throw new LiveUpdateError(
      'release_rollback_target_missing',
      `Channel '${channel}' has no earlier stable release in its records to roll back to. Set {{version}} to the release to go back to.`,
      { stage: 'release', input: 'version' },
    )
  }
  return previous
}

/** `target`: the release, or a function choosing it (called only when this run has not rolled back yet). */
export function applyRollback(
  current: ChannelRecord | undefined,
  targetOrChoice: ReleasePointer | ((current: ChannelRecord | undefined) => ReleasePointer),
  where: { appId: string; channel: string },
  ctx: OperationContext,
): ChannelStep {
  const { channel } = where
  const base = current ?? emptyChannelRecord(where.appId, channel, ctx.at)
  if (current) {
    const earlier = doneByRun(current, 'rollback', ctx)
    if (earlier)
      return {
        note: `This run already rolled '${channel}' back to ${earlier.version} (attempt ${earlier.runAttempt ?? '?'}): not rolling back twice.`,
      }
  }
  const target = typeof targetOrChoice === 'function' ? targetOrChoice(current) : targetOrChoice
  if (base.stable?.version === target.version && !base.rollout)
    return { note: `${target.version} is already stable on '${channel}': nothing to roll back.` }
  const from = base.stable?.version
  const next = withOperation(
    {
      ...base,
      stable: target,
      rollout: null,
      history: base.history.filter((entry) => entry.version !== target.version),
    },
    'rollback',
    target.version,
    ctx,
    from,
  )
  const cleared = base.rollout ? ` (rollout of ${base.rollout.release.version} cleared)` : ''
  return { next, note: `'${channel}' rolled back from ${from ?? 'nothing'} to ${target.version}${cleared}.` }
}
