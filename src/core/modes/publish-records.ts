/**
 * The records side of `mode: publish`. Before anything is uploaded: read the channel record and
 * the server's view of the channel (Capgo stays the truth), and settle the rollout (a channel
 * without a stable release cannot roll out: straight to stable). After the server registered
 * the bundle: write the release record beside the bundle object (and its version index), move the
 * channel record (stable, or rollout at the given share), add the channel to the app record.
 * For `server: self-hosted` this is the moment the channel flips, after upload and verification.
 */
import { applyPublish } from '../records/channel.js'
import { releaseFiles } from '../records/files.js'
import type { ReleaseRecords } from '../records/index.js'
import {
  OPERATIONS_LIMIT,
  pointerOf,
  releaseRecordKey,
  type ChannelRecord,
  type NativeFingerprint,
  type ReleaseFile,
  type ReleaseRecord,
} from '../records/schema.js'
import type { BundleResult, BundleStore, DeltaManifestInfo, Logger, RegistrationRequest } from '../types.js'
import { describeState, type ReleaseOutcome } from './outcome.js'
import { reconcile, type Reconciliation } from './reconcile.js'
import type { ReleaseServer } from './server.js'

export interface PublishReleaseOptions {
  records: ReleaseRecords
  server: ReleaseServer
  logger: Logger
  /** 0.01-100 (default 100: straight to stable). */
  rolloutPercentage?: number
  run?: { runId?: string; runAttempt?: string }
  preview?: { pullRequest?: number }
  /** Filled by the native-compatibility and signed-metadata stages when they run. */
  native?: NativeFingerprint | null
  minNativeVersion?: string
  signature?: string
  /**
   * When another run registered this version first (a matrix leg), wait up to this long for its
   * release record to appear (it writes it right after registering). Default 30 s.
   */
  releaseWaitMs?: number
  sleep?: (ms: number) => Promise<void>
}

export interface PublishPlan {
  previous: ChannelRecord | undefined
  /** The share the new version gets (100 when the channel has no stable to roll out against). */
  percentage: number
  reconciliation: Reconciliation
}

export interface PublishedBundle {
  appId: string
  version: string
  channel: string
  webDir: string
  bundle: BundleResult & { files?: ReleaseFile[]; signature?: string }
  /** Set when this run's upload is the registered one. */
  objectKey?: string
  bundleUrl?: string
  git?: RegistrationRequest['git']
  /**
   * What the server holds for an already registered version (Capgo's row): lets a re-run rebuild
   * a release record that an earlier run failed to write after registering.
   */
  registered?: { url?: string; sessionKey?: string; objectKeyTemplate: string; store: BundleStore }
  /** A delta release's manifest, for the release record and its pointer. */
  manifest?: DeltaManifestInfo
  /** From the native guard: the fingerprint, the native version the release needs, an accepted baseline. */
  native?: {
    fingerprint: NativeFingerprint | null
    minNativeVersion?: string
    baseline?: { nativeBaseline: NativeFingerprint; nativeFloor?: string }
  }
}

export async function planPublish(
  options: PublishReleaseOptions,
  appId: string,
  channel: string,
): Promise<PublishPlan> {
  const previous = await options.records.readChannel(channel)
  const state = await options.server.channelState(appId, channel)
  const reconciliation = await reconcile(options.records, channel, previous, state)
  for (const warning of reconciliation.warnings) options.logger.warn(warning)
  const requested = options.rolloutPercentage ?? 100
  // Capgo refuses a rollout without a stable bundle (missing_stable_version): so do the records.
  const hasStable = state === undefined ? Boolean(reconciliation.apply(previous)?.stable) : Boolean(state?.stable)
  const percentage = requested < 100 && !hasStable ? 100 : requested
  if (percentage !== requested)
    options.logger.info(
      `Channel '${channel}' has no stable release yet: this first release goes to every device instead of ${requested} %.`,
    )
  return { previous: reconciliation.apply(previous), percentage, reconciliation }
}

export async function commitPublish(
  options: PublishReleaseOptions,
  plan: PublishPlan,
  published: PublishedBundle,
): Promise<ReleaseOutcome> {
  const { records, logger } = options
  const warnings = [...plan.reconciliation.warnings]
  let recordKey: string
  let release: ReleaseRecord
  if (published.objectKey && published.bundleUrl) {
    recordKey = releaseRecordKey(published.objectKey)
    release = await records.saveRelease(
      recordKey,
      await buildRelease(options, published, published.objectKey, published.bundleUrl),
    )
  } else {
    const found =
      (await records.readRelease(published.version)) ??
      (await rebuildRelease(options, published)) ??
      (await awaitRelease(options, published.version))
    if (!found) {
      const warning = `No release record for ${published.appId} ${published.version} (published before release records, or by another tool): the channel record was not changed.`
      logger.warn(warning)
      return {
        mode: 'publish',
        appId: published.appId,
        channel: published.channel,
        changed: false,
        note: warning,
        warnings: [...warnings, warning],
        ...describeState(plan.previous),
        previousStable: plan.previous?.stable?.version,
        record: plan.previous,
      }
    }
    recordKey = found.key
    release = await records.saveRelease(found.key, { ...found.record, channels: [published.channel] })
  }
  const op = records.context(options.run)
  const change = {
    appId: published.appId,
    channel: published.channel,
    release: pointerOf(release, recordKey),
    percentage: plan.percentage,
    preview: options.preview,
  }
  // native-compatibility: accept makes this release's fingerprint (and floor) the channel's baseline.
  const baseline = published.native?.baseline
  const update = await records.updateChannel(published.channel, op, (current) => {
    const step = applyPublish(plan.reconciliation.apply(current), change, op)
    if (!baseline) return step
    const base = step.next ?? current
    if (!base) return step
    if (
      JSON.stringify(base.nativeBaseline) === JSON.stringify(baseline.nativeBaseline) &&
      // No floor detected keeps the channel's own (below), so that is no change either.
      (!baseline.nativeFloor || base.nativeFloor === baseline.nativeFloor)
    )
      return step
    const next = {
      ...base,
      nativeBaseline: baseline.nativeBaseline,
      ...(baseline.nativeFloor ? { nativeFloor: baseline.nativeFloor } : {}),
    }
    // A baseline-only change is still this run's operation (the fallback looks for its token).
    return {
      next: step.next
        ? next
        : {
            ...next,
            revision: next.revision + 1,
            updatedAt: op.at,
            operations: [
              { kind: 'publish' as const, version: change.release.version, at: op.at, id: op.id },
              ...next.operations,
            ].slice(0, OPERATIONS_LIMIT),
          },
      note: `${step.note} The channel's native baseline is now this release's.`,
    }
  })
  await records.updateApp(published.channel, 'add', { preview: Boolean(options.preview) })
  logger.info(update.note)
  return {
    mode: 'publish',
    appId: published.appId,
    channel: published.channel,
    changed: update.changed,
    note: update.note,
    warnings,
    previousStable: plan.previous?.stable?.version,
    ...describeState(update.record),
    record: update.record,
    writePath: update.path,
  }
}

/**
 * The server holds this version but the bucket has no release record (an earlier run failed right
 * after registering): find the registered object by its URL under the object-key template's fixed
 * prefix, and write its record from this build (same checksum: the same zip) and the server's
 * session key.
 */
async function rebuildRelease(
  options: PublishReleaseOptions,
  published: PublishedBundle,
): Promise<{ key: string; record: ReleaseRecord } | undefined> {
  const registered = published.registered
  if (!registered?.url || !registered.sessionKey) return undefined
  const template = registered.objectKeyTemplate
  const cuts = ['{hash}', '{channel}'].map((token) => template.indexOf(token)).filter((index) => index >= 0)
  const prefix = template
    .slice(0, Math.min(template.length, ...cuts))
    .replaceAll('{appId}', published.appId)
    .replaceAll('{version}', published.version)
  if (!prefix.includes(published.version)) return undefined
  const keys = (await registered.store.list(prefix)).filter((key) => !key.endsWith('.json')).slice(0, 1000)
  const objectKey = keys.find((key) => registered.store.publicUrl(key) === registered.url)
  if (!objectKey) return undefined
  const record = await buildRelease(
    options,
    { ...published, bundle: { ...published.bundle, sessionKey: registered.sessionKey } },
    objectKey,
    registered.url,
  )
  const key = releaseRecordKey(objectKey)
  options.logger.warn(
    `The release record of ${published.version} was missing (an earlier run failed after registering); rebuilt it for ${objectKey}.`,
  )
  return { key, record: await options.records.saveRelease(key, record) }
}

async function awaitRelease(options: PublishReleaseOptions, version: string) {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const deadline = Date.now() + (options.releaseWaitMs ?? 30_000)
  for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
    const found = await options.records.readRelease(version)
    if (found || Date.now() >= deadline) return found
    options.logger.info(`Waiting for the release record of ${version} (another run registered it first)…`)
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())))
  }
}

async function buildRelease(
  options: PublishReleaseOptions,
  published: PublishedBundle,
  objectKey: string,
  url: string,
): Promise<ReleaseRecord> {
  const { bundle } = published
  const record: ReleaseRecord = {
    schema: 1,
    appId: published.appId,
    version: published.version,
    channels: [published.channel],
    createdAt: options.records.now(),
    bundle: {
      key: objectKey,
      url,
      sessionKey: bundle.sessionKey,
      checksum: bundle.checksum,
      signature: options.signature ?? bundle.signature ?? '',
      sha256: bundle.sha256,
      keyId: bundle.keyId,
      zipSize: bundle.zipSize,
      encryptedSize: bundle.encryptedSize,
      rawSize: bundle.rawSize,
      fileCount: bundle.fileCount,
    },
    files: await releaseFiles(published.webDir, bundle.files),
    native: published.native?.fingerprint ?? options.native ?? null,
  }
  if (published.manifest) record.manifest = { ...published.manifest }
  const git = {
    ...published.git,
    ...(options.run?.runId ? { runId: options.run.runId } : {}),
    ...(options.run?.runAttempt ? { runAttempt: options.run.runAttempt } : {}),
  }
  if (Object.values(git).some((value) => value !== undefined))
    record.git = JSON.parse(JSON.stringify(git)) as ReleaseRecord['git']
  const minNativeVersion = published.native?.minNativeVersion ?? options.minNativeVersion
  if (minNativeVersion) record.minNativeVersion = minNativeVersion
  return record
}
