/**
 * Which release a device should run, from the records alone. Refusals carry Capgo's error codes
 * and `kind` (up_to_date / blocked / failed), because that is what the plugin branches on.
 */
import type { DeviceInfo } from './device-request.js'
import { inRollout } from './rollout.js'
import { compareVersions, parseLooseVersion } from './semver.js'
import type { AppState, ChannelState, ReleasePointer } from './state.js'

export type Refusal = { error: string; message: string; kind: 'up_to_date' | 'blocked' | 'failed' }
export type Decision =
  | { type: 'update'; pointer: ReleasePointer; channel: string; rollout: boolean }
  | ({ type: 'refuse' } & Refusal)

const refuse = (kind: Refusal['kind'], error: string, message: string): Decision => ({
  type: 'refuse',
  kind,
  error,
  message,
})

/** The channel a device asks for: its own (set with setChannel, or capacitor.config's), else the app's default. */
export function resolveChannel(device: DeviceInfo, app: AppState): { name: string } | Refusal {
  const name = device.defaultChannel ?? app.defaultChannel
  if (!app.channels.includes(name)) {
    return {
      kind: 'failed',
      error: 'channel_not_found',
      message: `channel '${name}' does not exist for ${app.appId}; known: ${app.channels.join(', ') || 'none'}`,
    }
  }
  return { name }
}

export async function decide(device: DeviceInfo, channel: ChannelState): Promise<Decision> {
  let pointer = channel.stable
  let rollout = false
  if (
    channel.rollout &&
    (await inRollout(device.device_id, channel.rollout.release.version, channel.rollout.percentage))
  ) {
    pointer = channel.rollout.release
    rollout = true
  }
  if (!pointer) return refuse('failed', 'no_bundle', `channel '${channel.channel}' has no release yet`)

  // Capgo's rule: only when both sides have one (a device without a public key sends none); plugins
  // before 8.41 sent a 4-character key id, which says nothing about the key, so only full ids count.
  if (device.key_id && pointer.keyId && device.key_id.length >= 20 && device.key_id !== pointer.keyId) {
    return refuse(
      'blocked',
      'key_id_mismatch',
      `the app's public key (key_id ${device.key_id}) is not the one release ${pointer.version} was signed with (${pointer.keyId}): update the publicKey in capacitor.config or publish with the matching key`,
    )
  }
  if (device.version_name === pointer.version) {
    return refuse(
      'up_to_date',
      'no_new_version_available',
      `already on ${pointer.version}, the latest release of channel '${channel.channel}'`,
    )
  }
  for (const [floor, what] of [
    [channel.nativeFloor, `channel '${channel.channel}'`],
    [pointer.minNativeVersion, `release ${pointer.version}`],
  ] as const) {
    if (!floor) continue
    const native = parseLooseVersion(device.version_build)
    const minimum = parseLooseVersion(floor)
    if (!minimum) return refuse('failed', 'misconfigured_channel', `${what} has an unreadable native floor '${floor}'`)
    if (!native)
      return refuse(
        'blocked',
        'unknown_version_build',
        `native version '${device.version_build}' is not a version number, and ${what} needs native ${floor} or later`,
      )
    if (compareVersions(native, minimum) < 0) {
      return refuse(
        'blocked',
        'native_version_below_floor',
        `${what} needs native app ${floor} or later; this device runs ${device.version_build}: ship a store update first`,
      )
    }
  }
  return { type: 'update', pointer, channel: channel.channel, rollout }
}
