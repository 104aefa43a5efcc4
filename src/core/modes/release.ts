/**
 * `mode: promote | rollback | cleanup`: change what a channel serves without building or
 * uploading anything. Each asks the server first (Capgo stays the truth for devices), does
 * nothing when there is nothing to do (a repeat is green and changes nothing), tells the server,
 * and then updates the channel record race-safely. A re-run of the same workflow run never
 * rolls back twice (the channel record's `operations` remember the run id).
 */
import { LiveUpdateError } from '../errors.js'
import {
  applyPromote,
  applyRollback,
  rollbackTarget,
  type ChannelStep,
  type OperationContext,
} from '../records/channel.js'
import type { ReleaseRecords } from '../records/index.js'
import { pointerOf, type ChannelRecord, type ReleasePointer } from '../records/schema.js'
import type { Logger } from '../types.js'
import { describeState, type ReleaseOutcome } from './outcome.js'
import { reconcile } from './reconcile.js'
import type { ReleaseServer } from './server.js'

export interface ModeContext {
  appId: string
  channel: string
  records: ReleaseRecords
  server: ReleaseServer
  logger: Logger
  run?: { runId?: string; runAttempt?: string }
}

async function prepare(ctx: ModeContext) {
  const record = await ctx.records.readChannel(ctx.channel)
  const state = await ctx.server.channelState(ctx.appId, ctx.channel)
  const reconciliation = await reconcile(ctx.records, ctx.channel, record, state)
  for (const warning of reconciliation.warnings) ctx.logger.warn(warning)
  return { record, reconciliation, current: reconciliation.apply(record) }
}

/** Dry-run the step on the reconciled copy; when it changes something, tell the server, then update the record. */
async function change(
  ctx: ModeContext,
  mode: 'promote' | 'rollback',
  step: (current: ChannelRecord | undefined, op: OperationContext) => ChannelStep,
  tellServer: (next: ChannelRecord, before: ChannelRecord | undefined) => Promise<void>,
): Promise<ReleaseOutcome> {
  const { reconciliation, current } = await prepare(ctx)
  const op = ctx.records.context(ctx.run)
  const planned = step(current, op)
  const base = {
    mode,
    appId: ctx.appId,
    channel: ctx.channel,
    warnings: reconciliation.warnings,
    previousStable: current?.stable?.version,
  }
  if (!planned.next) {
    ctx.logger.info(planned.note)
    return { ...base, changed: false, note: planned.note, ...describeState(current), record: current }
  }
  await tellServer(planned.next, current)
  const update = await ctx.records.updateChannel(ctx.channel, op, (fresh) => step(reconciliation.apply(fresh), op))
  ctx.logger.info(update.note || planned.note)
  return {
    ...base,
    changed: true,
    note: update.note || planned.note,
    ...describeState(update.record),
    record: update.record,
    writePath: update.path,
  }
}

export function promote(ctx: ModeContext): Promise<ReleaseOutcome> {
  return change(
    ctx,
    'promote',
    (current, op) => applyPromote(current, op),
    (next, before) =>
      ctx.server.promote({
        appId: ctx.appId,
        channel: ctx.channel,
        release: next.stable!,
        from: before?.stable?.version,
      }),
  )
}

/** The release `version` names: in the channel's record, else any release of this app. */
async function resolveVersion(
  ctx: ModeContext,
  record: ChannelRecord | undefined,
  version: string,
): Promise<ReleasePointer> {
  const known = [record?.stable, record?.rollout?.release, ...(record?.history ?? [])].find(
    (entry) => entry?.version === version,
  )
  if (known) return known
  const found = await ctx.records.readRelease(version)
  if (!found) {
    throw new LiveUpdateError(
      'input_release_version_unknown',
      `{{version}} ${version} is not a release of ${ctx.appId} in the bucket's records (no release record for it). Name a version this action published, or leave {{version}} empty to go back to the previous stable.`,
      { stage: 'input', input: 'version' },
    )
  }
  return pointerOf(found.record, found.key)
}

export async function rollback(ctx: ModeContext, version?: string): Promise<ReleaseOutcome> {
  let target: ReleasePointer | undefined
  if (version) {
    const { current } = await prepare(ctx)
    target = await resolveVersion(ctx, current, version)
  }
  return change(
    ctx,
    'rollback',
    (current, op) =>
      applyRollback(
        current,
        target ?? ((fresh) => rollbackTarget(fresh, ctx.channel)),
        { appId: ctx.appId, channel: ctx.channel },
        op,
      ),
    (next, before) =>
      ctx.server.rollback({
        appId: ctx.appId,
        channel: ctx.channel,
        release: next.stable!,
        from: before?.stable?.version,
      }),
  )
}

/**
 * Delete a preview channel: its registration on the server, the registrations and objects of
 * the releases only it used, their release records, the channel record, its app-record entry.
 * A release another channel still uses keeps its object and record (only this channel is taken
 * off its list). Idempotent: a second run finds nothing and changes nothing.
 */
export async function cleanup(ctx: ModeContext): Promise<ReleaseOutcome> {
  const { records, channel } = ctx
  const record = await records.readChannel(channel)
  if (record && !record.preview) {
    throw new LiveUpdateError(
      'release_cleanup_not_preview',
      `Channel '${channel}' is not a preview channel (its record was not made by a {{preview}} true publish); {{mode}} cleanup only deletes preview channels.`,
      { stage: 'input', input: 'preview-channel' },
    )
  }
  const app = await records.readApp()
  const otherChannels = (app?.channels ?? []).filter((name) => name !== channel)
  const usedElsewhere = new Set<string>()
  for (const name of otherChannels) {
    const other = await records.readChannel(name)
    for (const entry of [other?.stable, other?.rollout?.release, ...(other?.history ?? [])])
      if (entry) usedElsewhere.add(entry.version)
  }
  const ours: { version: string; key: string; objects: string[]; shared: boolean }[] = []
  for (const entry of await records.listReleases()) {
    const release = await records.readReleaseAt(entry.record)
    if (!release?.channels.includes(channel)) continue
    const shared = release.channels.some((name) => name !== channel) || usedElsewhere.has(release.version)
    ours.push({
      version: release.version,
      key: entry.record,
      objects: [release.bundle.key, ...(release.manifest ? [release.manifest.key] : [])],
      shared,
    })
  }
  const onlyOurs = ours.filter((entry) => !entry.shared)
  const base = {
    mode: 'cleanup' as const,
    appId: ctx.appId,
    channel,
    warnings: [] as string[],
    previousStable: record?.stable?.version,
    stable: undefined,
    rollout: null,
  }
  const nothing = !record && ours.length === 0
  if (!nothing || ctx.server.kind === 'capgo') {
    await ctx.server.deleteChannel({ appId: ctx.appId, channel, versions: onlyOurs.map((entry) => entry.version) })
  }
  const deletedObjects: string[] = []
  for (const entry of ours) {
    if (entry.shared) {
      await records.releaseChannelRemoved(entry.key, channel)
      continue
    }
    // The bundle and everything named after it: delta files (`<key>.files/…`), manifest, record.
    const named = (await records.store.list(entry.objects[0]!)).filter(
      (key) => key === entry.objects[0] || key.startsWith(`${entry.objects[0]}.`),
    )
    for (const key of new Set([...entry.objects, ...named])) {
      if (key === entry.key) continue
      await records.store.delete(key)
      deletedObjects.push(key)
    }
    await records.deleteRelease(entry.version, entry.key)
  }
  if (record) await records.deleteChannel(channel)
  await records.updateApp(channel, 'remove')
  const cleaned = {
    deletedVersions: onlyOurs.map((entry) => entry.version),
    deletedObjects,
    keptVersions: ours.filter((entry) => entry.shared).map((entry) => entry.version),
  }
  const note = nothing
    ? `Preview channel '${channel}' is already gone: nothing to clean up.`
    : `Deleted preview channel '${channel}' and ${cleaned.deletedVersions.length} release(s) only it used${cleaned.keptVersions.length ? `; kept ${cleaned.keptVersions.join(', ')} (used by another channel)` : ''}.`
  ctx.logger.info(note)
  return { ...base, changed: !nothing, note, cleanup: cleaned }
}
