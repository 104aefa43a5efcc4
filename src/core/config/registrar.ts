/** Update-server inputs: which server, its URL and credentials. */
import { assertDeviceUrl } from '../device-gates.js'
import { inputError } from '../errors.js'
import type { RegistrarConfig } from '../register/index.js'
import { parseHttpUrl, safeUrl } from '../url.js'
import type { Inputs } from './reader.js'

export function resolveRegistrar(inputs: Inputs, dryRun: boolean): RegistrarConfig {
  const kind = inputs.choice<'capgo' | 'webhook' | 'self-hosted' | 'none'>('server')
  if (kind === 'capgo') {
    const apiKey = inputs.secret('capgo-api-key')
    if (!apiKey && !dryRun) {
      throw inputError(
        'capgo-api-key',
        'input_capgo_api_key_missing',
        'With {{server}} capgo, set {{capgo-api-key}} from a secret (a Capgo API key with upload rights: Capgo > API keys), or use {{server}} none to upload only.',
      )
    }
    const apiUrl = inputs.read('capgo-api-url')!
    parseHttpUrl(apiUrl, 'capgo-api-url', 'input_capgo_api_url_invalid', 'https://api.capgo.app')
    return { kind: 'capgo', apiUrl: apiUrl.replace(/\/+$/, ''), apiKey: apiKey ?? '' }
  }
  if (kind === 'webhook') {
    const url = inputs.read('webhook-url')
    if (!url)
      throw inputError(
        'webhook-url',
        'input_webhook_url_invalid',
        "With {{server}} webhook, set {{webhook-url}} to your update server's endpoint (https://...).",
      )
    parseHttpUrl(url, 'webhook-url', 'input_webhook_url_invalid', 'https://updates.example.com/hooks/live-update')
    const secret = inputs.secret('webhook-secret')
    if (!secret && !dryRun) {
      throw inputError(
        'webhook-secret',
        'input_webhook_secret_missing',
        'With {{server}} webhook, set {{webhook-secret}} from a secret: the receiver uses it to check the X-Signature-256 header.',
      )
    }
    return { kind: 'webhook', url, secret: secret ?? '' }
  }
  // self-hosted: nothing but the storage (its records are what the responder serves).
  return { kind }
}

/**
 * Capgo stores only https bundle URLs (and devices in production refuse plain http): checked on
 * the URL the store would give a bundle of this app and version, before anything runs.
 */
export function assertRegistrarAcceptsUrl(registrar: RegistrarConfig, sampleUrl: string | undefined): void {
  if (registrar.kind === 'none' || sampleUrl === undefined) return
  // Every other server hands the URL to devices, whose httpsOnly gate refuses plain http too.
  if (registrar.kind !== 'capgo') return assertDeviceUrl(sampleUrl, 'public-url')
  let protocol: string | undefined
  try {
    protocol = new URL(sampleUrl).protocol
  } catch {
    protocol = undefined
  }
  if (protocol === 'https:') return
  const shown = protocol === 'file:' ? 'a local file:// URL (storage dir)' : safeUrl(sampleUrl)
  throw inputError(
    'public-url',
    'input_public_url_not_https',
    `Capgo needs https bundle URLs, but bundles would be downloaded from ${shown}. Set {{public-url}} to an https URL template such as https://updates.example.com/{key} (a CDN or custom domain in front of the bucket).`,
  )
}
