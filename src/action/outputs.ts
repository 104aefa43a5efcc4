import { changesOutputs } from '../core/report/changes.js'
import type { ReleaseOutcome } from '../core/modes/outcome.js'
import type { PublishResult } from '../core/types.js'

/** Outputs every mode sets: what the channel serves after the run. */
export function releaseOutputsOf(
  outcome: ReleaseOutcome | undefined,
  mode = outcome?.mode ?? 'publish',
): Record<string, string> {
  return {
    mode,
    changed: outcome ? String(outcome.changed) : '',
    'stable-version': outcome?.stable ?? '',
    'rollout-version': outcome?.rollout?.version ?? '',
    'rollout-percentage': outcome?.rollout ? String(outcome.rollout.percentage) : '',
  }
}

/** The action's outputs, by name (documented in action.yml). */
export function outputsOf(result: PublishResult): Record<string, string> {
  const bundle = result.bundle
  // A check-only run signs with a throwaway key: its checksum and session key mean nothing to devices.
  const signed = result.status !== 'checked'
  return {
    status: result.status,
    version: result.version,
    channel: result.channel,
    'app-id': result.appId,
    'bundle-url': result.bundleUrl ?? '',
    'object-key': result.objectKey ?? '',
    checksum: signed ? bundle.checksum : '',
    sha256: bundle.sha256,
    signature: signed ? bundle.signature : '',
    'session-key': signed ? bundle.sessionKey : '',
    'key-id': signed ? bundle.keyId : '',
    'zip-size': String(bundle.zipSize),
    'encrypted-size': String(bundle.encryptedSize),
    'file-count': String(bundle.fileCount),
    'bundle-id': result.bundleId ?? '',
    'native-fingerprint': result.native?.fingerprint ? JSON.stringify(result.native.fingerprint) : '',
    ...(result.changes ? changesOutputs(result.changes) : { 'previous-version': '', 'size-delta': '' }),
    ...releaseOutputsOf(result.release, 'publish'),
  }
}
