/**
 * What a current plugin refuses, checked before publishing so a release never reaches devices that
 * would reject it: `httpsOnly` (default on) refuses http bundle URLs, and a device with a public key
 * needs the session key and the signed checksum (and checks the signed metadata when present).
 */
import { LiveUpdateError } from './errors.js'

const SIGNED_HEX = /^[0-9a-f]{512}$/

/** Loopback hosts (tests and local trials): the only place an http URL is let through. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
}

/** Every URL a device fetches must be https (http on loopback, and file://, only for local trials). */
export function assertDeviceUrl(url: string, input = 'public-url'): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new LiveUpdateError(
      'input_device_url_invalid',
      `The bundle URL devices would fetch is not a valid URL. Check {{${input}}}.`,
      { stage: 'input', input },
    )
  }
  if (parsed.protocol === 'https:') return
  // Local trials and tests: this machine only (the folder store's file:// URLs, loopback http).
  if (parsed.protocol === 'file:' || (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname))) return
  throw new LiveUpdateError(
    'input_device_url_not_https',
    `Devices would fetch the bundle from a ${parsed.protocol.replace(':', '')} URL (${parsed.origin === 'null' ? parsed.protocol : parsed.origin}); the updater plugin (httpsOnly, on by default) refuses anything but https. Set {{${input}}} to an https URL template such as https://updates.example.com/{key}.`,
    { stage: 'input', input },
  )
}

/** Never register a bundle a device holding the public key would refuse or check only half-way. */
export function assertSignedForDevices(bundle: { sessionKey: string; checksum: string; signature?: string }): void {
  const missing: string[] = []
  if (!bundle.sessionKey?.includes(':')) missing.push('session key')
  if (!SIGNED_HEX.test(bundle.checksum)) missing.push('signed checksum')
  if (!bundle.signature || !SIGNED_HEX.test(bundle.signature)) missing.push('signed metadata (signature)')
  if (missing.length === 0) return
  throw new LiveUpdateError(
    'register_signature_missing',
    `Refusing to register: the bundle has no valid ${missing.join(', ')}. Devices with the app's public key would refuse it or skip checks. This is a bug in the publishing pipeline.`,
    { stage: 'register' },
  )
}
