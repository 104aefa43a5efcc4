/**
 * Native compatibility: does the new bundle need native code the installed apps do not have?
 * Rules follow Capgo's CLI (`bundle compatibility`): a new plugin, a changed version, changed iOS or
 * Android code, or a checksum that appeared or disappeared needs a store build; a removed plugin
 * does not (the installed app still carries it). @capacitor/android and @capacitor/ios are the
 * native runtime itself, so a change there needs a store build too.
 */
import { LiveUpdateError } from '../errors.js'
import type { NativeFingerprint, NativePackage } from './types.js'

export type NativeCompatibilityMode = 'fail' | 'accept' | 'off'

export interface NativeChange {
  name: string
  kind: 'added' | 'removed' | 'changed'
  before?: string
  after?: string
  /** What changed, in words, e.g. "Android native code changed". */
  details: string[]
  /** True when installed apps cannot run a bundle built against the new state. */
  blocking: boolean
}

export type NativeVerdict =
  /** Not checked: `native-compatibility: off`, or (with a reason) nothing to fingerprint. */
  | { status: 'off'; reason?: string }
  /** Nothing to compare: first release on the channel, or its release holds no fingerprint. */
  | { status: 'first-release'; reason: string }
  | { status: 'compatible'; baselineVersion?: string; changes: NativeChange[] }
  | { status: 'incompatible'; baselineVersion?: string; changes: NativeChange[] }
  /** Incompatible changes published on purpose (`accept`): the new fingerprint becomes the baseline. */
  | { status: 'accepted'; baselineVersion?: string; changes: NativeChange[] }

const short = (checksum: string | undefined) => (checksum ? checksum.slice(0, 8) : 'none')

function packageChange(before: NativePackage, after: NativePackage): NativeChange | undefined {
  const details: string[] = []
  if (before.version.trim() !== after.version.trim()) details.push(`version ${before.version} → ${after.version}`)
  for (const [platform, key] of [
    ['iOS', 'ios_checksum'],
    ['Android', 'android_checksum'],
  ] as const) {
    const was = before[key]
    const now = after[key]
    if (was && now && was !== now) details.push(`${platform} native code changed (${short(was)} → ${short(now)})`)
    else if (Boolean(was) !== Boolean(now))
      details.push(`${platform} native code ${now ? 'appeared' : 'disappeared'} (${short(was)} → ${short(now)})`)
  }
  if (details.length === 0) return undefined
  return { name: after.name, kind: 'changed', before: before.version, after: after.version, details, blocking: true }
}

/** Every difference between the baseline and the new fingerprint, runtime first, then plugins by name. */
export function compareFingerprints(baseline: NativeFingerprint, current: NativeFingerprint): NativeChange[] {
  const changes: NativeChange[] = []
  for (const platform of ['android', 'ios'] as const) {
    const before = baseline.capacitor[platform]
    const after = current.capacitor[platform]
    if (before === after) continue
    const name = `@capacitor/${platform}`
    if (!before) changes.push({ name, kind: 'added', after, details: [`added (${after})`], blocking: true })
    else if (!after)
      changes.push({ name, kind: 'removed', before, details: [`removed (was ${before})`], blocking: true })
    else
      changes.push({ name, kind: 'changed', before, after, details: [`version ${before} → ${after}`], blocking: true })
  }
  const old = new Map(baseline.packages.map((p) => [p.name, p]))
  const now = new Map(current.packages.map((p) => [p.name, p]))
  const names = [...new Set([...old.keys(), ...now.keys()])].sort()
  for (const name of names) {
    const before = old.get(name)
    const after = now.get(name)
    if (!before && after)
      changes.push({
        name,
        kind: 'added',
        after: after.version,
        details: [`new native plugin (${after.version})`],
        blocking: true,
      })
    else if (before && !after)
      changes.push({
        name,
        kind: 'removed',
        before: before.version,
        details: [`removed (was ${before.version}; installed apps still carry it)`],
        blocking: false,
      })
    else if (before && after) {
      const change = packageChange(before, after)
      if (change) changes.push(change)
    }
  }
  return changes
}

export interface NativeBaseline {
  fingerprint: NativeFingerprint | null
  /** The release it comes from, for messages ("since 1.4.0"). */
  version?: string
  /** True when it is the channel's recorded baseline (set by `accept`), not just the last release. */
  recorded?: boolean
}

export function nativeVerdict(
  mode: NativeCompatibilityMode,
  baseline: NativeBaseline | undefined,
  current: NativeFingerprint | undefined,
): NativeVerdict {
  if (mode === 'off' || !current) return { status: 'off' }
  if (!baseline)
    return {
      status: 'first-release',
      reason: 'first release on this channel: nothing to compare; this fingerprint is the baseline',
    }
  if (!baseline.fingerprint) {
    return {
      status: 'first-release',
      reason:
        `the channel's release ${baseline.version ?? ''} holds no native fingerprint (published with native-compatibility: off): nothing to compare`.replace(
          '  ',
          ' ',
        ),
    }
  }
  const changes = compareFingerprints(baseline.fingerprint, current)
  const blocking = changes.some((change) => change.blocking)
  if (!blocking) return { status: 'compatible', baselineVersion: baseline.version, changes }
  return { status: mode === 'accept' ? 'accepted' : 'incompatible', baselineVersion: baseline.version, changes }
}

export function describeChange(change: NativeChange): string {
  return `${change.name}: ${change.details.join('; ')}`
}

/** `fail` mode: refuse before any upload, naming each package and what changed. */
export function assertNativeCompatible(verdict: NativeVerdict, channel: string): void {
  if (verdict.status !== 'incompatible') return
  const since = verdict.baselineVersion ? ` since ${verdict.baselineVersion}` : ''
  const lines = verdict.changes.filter((change) => change.blocking).map((change) => `  - ${describeChange(change)}`)
  throw new LiveUpdateError(
    'native_plugins_incompatible',
    `The native code changed${since} on channel '${channel}': installed apps do not have it, so this bundle could crash them.\n${lines.join('\n')}\nShip a store build with these native changes first, then publish with {{native-compatibility}} accept (it records this fingerprint as the channel's baseline). Nothing was uploaded.`,
    { stage: 'input', input: 'native-compatibility' },
  )
}
