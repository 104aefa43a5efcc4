/**
 * Registrar `none`: upload and verify only. Nothing is announced to any update server: no call is
 * made, no channel moves, and devices learn about the bundle only if something else registers the
 * URL. `lookup` always answers "not found" (there is nobody to ask), `register` answers
 * 'registered' without a bundle id (meaning "done as far as this registrar goes": keep the upload),
 * and `pointChannel` does nothing.
 */
import type { Logger, LookupResult, Registrar, RegistrationRequest, RegistrationResult } from '../types.js'

export function createNoneRegistrar(options: { logger?: Logger } = {}): Registrar {
  return {
    kind: 'none',
    async lookup(): Promise<LookupResult> {
      return { found: false }
    },
    async register(req: RegistrationRequest): Promise<RegistrationResult> {
      options.logger?.info(
        `No update server configured (server: none): ${req.appId}@${req.version} was uploaded but not announced.`,
      )
      return { status: 'registered', externalUrl: req.externalUrl }
    },
    async pointChannel(): Promise<void> {},
  }
}
