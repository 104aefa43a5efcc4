/**
 * `server: self-hosted`: no update server but the user's own bucket. Devices are answered by the
 * responder (src/server/) from the channel and app records, so registering is nothing: the
 * records stage that follows a verified upload flips the channel. `lookup` reads the version's
 * release record, so a re-run of an already published version uploads nothing.
 */
import { ReleaseRecords } from '../records/index.js'
import type { BundleStore, Logger, LookupResult, Registrar, RegistrationRequest, RegistrationResult } from '../types.js'

export function createSelfHostedRegistrar(options: { store: BundleStore; logger?: Logger }): Registrar {
  return {
    kind: 'self-hosted',
    async lookup(appId: string, version: string): Promise<LookupResult> {
      const found = await new ReleaseRecords(options.store, appId).readRelease(version)
      if (!found) return { found: false }
      return { found: true, checksum: found.record.bundle.checksum, externalUrl: found.record.bundle.url }
    },
    async register(req: RegistrationRequest): Promise<RegistrationResult> {
      options.logger?.info(
        `Self-hosted: ${req.appId}@${req.version} is uploaded and verified; the channel record is updated next.`,
      )
      return { status: 'registered', externalUrl: req.externalUrl }
    },
    async pointChannel(): Promise<void> {},
  }
}
