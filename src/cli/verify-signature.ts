/**
 * `live-update verify --signature <hex> --version <v>`: after the device checks pass, check the
 * signed metadata as plugin 8.53+ does (capgo-bundle-v1 over the version and the zip's sha256).
 * A separate step so the device emulation in core/verify.ts stays as it is.
 */
import { verifyBundleSignature } from '../core/signature.js'
import type { VerifyReport } from '../core/verify.js'
import { UsageError } from './io.js'

export type SignedVerifyReport = VerifyReport | { ok: false; step: 'signature'; message: string }

export function checkSignatureFlags(
  signature: string | undefined,
  version: string | undefined,
): { check(report: VerifyReport, publicKeyPem: string): SignedVerifyReport } {
  if ((signature === undefined) !== (version === undefined)) {
    throw new UsageError(
      '--signature and --version go together: the signature covers the version name and the zip checksum.',
    )
  }
  return {
    check(report, publicKeyPem) {
      if (!report.ok || signature === undefined || version === undefined) return report
      let valid = false
      try {
        valid = verifyBundleSignature(publicKeyPem, version, report.sha256, signature.trim())
      } catch {
        // a version with a line break cannot have been signed
      }
      if (valid) return { ...report, signature: 'ok' } as VerifyReport
      return {
        ok: false,
        step: 'signature',
        message: `the signature does not match version ${version} and zip sha256 ${report.sha256} under this public key (a device with plugin 8.53+ answers signature_fail)`,
      }
    },
  }
}
