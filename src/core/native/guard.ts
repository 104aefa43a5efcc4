/**
 * The release guard of a publish: the native version gate (before any work) and the
 * native-compatibility check against the channel's live release (before any upload). It reads the
 * channel through a small reader (the release records satisfy it) and hands back what the report's
 * "what changed" and the records need: the fingerprint, the verdict, the previous release.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describeError } from '../errors.js'
import type { ReleaseSnapshot } from '../report/changes.js'
import {
  assertNativeCompatible,
  type NativeBaseline,
  type NativeCompatibilityMode,
  nativeVerdict,
  type NativeVerdict,
} from './compare.js'
import { computeNativeFingerprint } from './fingerprint.js'
import {
  assertNotBelowNative,
  detectNativeVersion,
  type NativeVersion,
  parseNativeVersionInput,
} from './native-version.js'
import type { NativeFingerprint } from './types.js'

/** A ReleasePointer as far as the guard reads it. */
export interface ReleaseRef {
  version: string
  /** Key of the release record. */
  record: string
  zipSize: number
}

/** The parts of a channel record the guard reads (COMMON.md ChannelRecord). */
export interface ChannelView {
  stable: ReleaseRef | null
  rollout?: { release: ReleaseRef; percentage: number } | null
  /** Earlier stables, newest first. */
  history: ReleaseRef[]
  nativeBaseline?: NativeFingerprint
  nativeFloor?: string
}

/** The parts of a release record the guard and the diff read (COMMON.md ReleaseRecord). */
export interface ReleaseView extends ReleaseSnapshot {
  native: NativeFingerprint | null
}

/** Reads the channel's records; `ReleaseRecords` (src/core/records) has exactly these two methods. */
export interface ReleaseReader {
  readChannel(channel: string): Promise<ChannelView | undefined>
  readReleaseAt(key: string): Promise<ReleaseView | undefined>
}

export interface NativeGuardOptions {
  mode: NativeCompatibilityMode
  /** The app folder: package.json, node_modules, android/, ios/. */
  workingDirectory: string
  /** The `native-version` input; empty = detect from android/app/build.gradle, else the Xcode project. */
  nativeVersion?: string
}

/** Before any work: a version every current device would refuse never gets built. */
export function checkNativeVersion(version: string, options: NativeGuardOptions): NativeVersion | undefined {
  const native = options.nativeVersion?.trim()
    ? parseNativeVersionInput(options.nativeVersion)
    : detectNativeVersion(options.workingDirectory)
  assertNotBelowNative(version, native)
  return native
}

export interface NativeGuardResult {
  fingerprint: NativeFingerprint | null
  verdict: NativeVerdict
  /** The channel's live (stable) release, for "what changed"; null on a first release. */
  previous: ReleaseView | null
  channel?: ChannelView
  /** With `accept`: what the channel record takes as its new native baseline and floor. */
  baseline?: { nativeBaseline: NativeFingerprint; nativeFloor?: string }
  /** The native app version this release needs: the new floor when accepted, else the channel's. */
  minNativeVersion?: string
}

/** What a publish reports: the fingerprint, the verdict and any new baseline (no records copied). */
export type NativeReport = Pick<NativeGuardResult, 'fingerprint' | 'verdict' | 'baseline' | 'minNativeVersion'>

/**
 * Compare the project's native fingerprint with the channel's baseline (the one `accept` recorded,
 * else the live release's), and refuse incompatible changes in `fail` mode.
 */
export async function checkNativeCompatibility(args: {
  channel: string
  options: NativeGuardOptions
  nativeVersion?: NativeVersion
  reader?: ReleaseReader
  known?: ChannelView
  logger?: { warn(message: string): void }
}): Promise<NativeGuardResult> {
  const { channel, options } = args
  let reader = args.reader
  let view: ChannelView | undefined
  let previous: ReleaseView | null = null
  try {
    view = args.known ?? (await reader?.readChannel(channel))
    const live = view?.stable ?? view?.rollout?.release ?? null
    previous = live && reader ? ((await reader.readReleaseAt(live.record)) ?? null) : null
  } catch (error) {
    // Unreadable records (a CDN not set up yet): nothing to compare with; verify then tells about the URL.
    args.logger?.warn(
      `Cannot read the channel's release records (${describeError(error)}): native compatibility is not compared and "what changed" is not shown.`,
    )
    reader = undefined
    view = undefined
  }
  const live = view?.stable ?? view?.rollout?.release ?? null
  if (options.mode === 'off') return { fingerprint: null, verdict: { status: 'off' }, previous, channel: view }
  if (!existsSync(path.join(options.workingDirectory, 'package.json'))) {
    // No npm project, no npm plugins: nothing to fingerprint (a bare web folder, a trial run).
    return {
      fingerprint: null,
      verdict: {
        status: 'off',
        reason: `no package.json in ${options.workingDirectory}: no native plugins to compare`,
      },
      previous,
      channel: view,
    }
  }
  const fingerprint = computeNativeFingerprint({ workingDirectory: options.workingDirectory })
  let baseline: NativeBaseline | undefined
  if (view?.nativeBaseline)
    baseline = {
      fingerprint: view.nativeBaseline,
      version: view.nativeFloor ? `the recorded baseline (native ${view.nativeFloor})` : 'the recorded baseline',
      recorded: true,
    }
  else if (live) baseline = { fingerprint: previous?.native ?? null, version: live.version }
  let verdict = nativeVerdict(options.mode, baseline, fingerprint)
  if (verdict.status === 'first-release' && !reader && !args.known)
    verdict = {
      status: 'first-release',
      reason: 'no release records to compare with: this fingerprint is recorded, not checked',
    }
  assertNativeCompatible(verdict, channel)
  const result: NativeGuardResult = { fingerprint, verdict, previous, channel: view }
  // `accept` says "this native code is what the store build ships": it becomes the baseline even when nothing changed.
  if (options.mode === 'accept')
    result.baseline = {
      nativeBaseline: fingerprint,
      ...(args.nativeVersion ? { nativeFloor: args.nativeVersion.version } : {}),
    }
  const floor = result.baseline ? result.baseline.nativeFloor : view?.nativeFloor
  if (floor) result.minNativeVersion = floor
  return result
}

/**
 * Both checks as publish runs them, before any work: the version gate, then the comparison with the
 * channel's records (skipped without `options`; the channel is still read for "what changed").
 */
export async function runReleaseGuard(args: {
  version: string
  channel: string
  options?: NativeGuardOptions
  reader?: ReleaseReader
  logger: { info(message: string): void; warn(message: string): void }
}): Promise<NativeGuardResult | undefined> {
  const { options, reader, logger } = args
  if (!options && !reader) return undefined
  const nativeVersion = options ? checkNativeVersion(args.version, options) : undefined
  if (nativeVersion)
    logger.info(
      `Native version ${nativeVersion.version} (from ${nativeVersion.source}): ${args.version} is not below it.`,
    )
  const guard = await checkNativeCompatibility({
    channel: args.channel,
    options: options ?? { mode: 'off', workingDirectory: '.' },
    nativeVersion,
    reader,
    logger,
  })
  const verdict = guard.verdict
  if (verdict.status === 'off' && verdict.reason) logger.info(`Native compatibility not checked: ${verdict.reason}.`)
  if (verdict.status === 'first-release') logger.info(`Native compatibility: ${verdict.reason}.`)
  else if (verdict.status === 'compatible')
    logger.info(
      `Native compatibility: compatible with ${verdict.baselineVersion ?? 'the channel'}${verdict.changes.length ? ` (${verdict.changes.map((change) => change.name).join(', ')} removed)` : ''}.`,
    )
  else if (verdict.status === 'accepted')
    logger.info(
      `Native compatibility: accepted ${verdict.changes.length} native change(s); this fingerprint becomes the channel's baseline.`,
    )
  if (guard.baseline && verdict.status !== 'accepted')
    logger.info(
      `native-compatibility: accept: this fingerprint becomes the channel's baseline${guard.baseline.nativeFloor ? ` (native floor ${guard.baseline.nativeFloor})` : ''}.`,
    )
  return guard
}
