/**
 * Registrar factory: where a published bundle is announced.
 * - `capgo`: Capgo Cloud or a self-hosted Capgo backend (REST API, API key).
 * - `webhook`: your own update server, via a signed JSON POST.
 * - `none`: upload and verify only; nothing is announced.
 * - `self-hosted`: nothing but the user's storage; the release records are what devices are served.
 */
import { cancellableFetch, cancellableSleep } from '../cancel.js'
import { realSleep } from '../retry.js'
import { LiveUpdateError } from '../errors.js'
import type { BundleStore, Registrar } from '../types.js'
import type { HttpCallOptions } from './http.js'
import { createCapgoRegistrar, type CapgoRegistrarOptions } from './capgo.js'
import { createNoneRegistrar } from './none.js'
import { createSelfHostedRegistrar } from './self-hosted.js'
import { createWebhookRegistrar, type WebhookRegistrarOptions } from './webhook.js'

export type RegistrarConfig =
  | { kind: 'capgo'; apiUrl: string; apiKey: string }
  | { kind: 'webhook'; url: string; secret: string }
  | { kind: 'none' }
  | { kind: 'self-hosted' }

/** Injected side effects and tuning (tests pass a fake sleep and short timeouts). */
export type RegistrarDependencies = Pick<
  HttpCallOptions,
  'fetch' | 'sleep' | 'logger' | 'now' | 'random' | 'timeoutMs' | 'attempts'
> & {
  /** Cancellation: requests in flight and retry waits end at once. */
  signal?: AbortSignal
  /** The bundle store: `self-hosted` keeps everything in it. */
  store?: BundleStore
}

/** The HTTP dependencies, with requests and retry waits that end when `signal` aborts. */
export function httpDependencies(options: RegistrarDependencies): Omit<RegistrarDependencies, 'signal' | 'store'> {
  const { signal, store: _store, ...rest } = options
  if (!signal) return rest
  return {
    ...rest,
    fetch: cancellableFetch(rest.fetch ?? globalThis.fetch, signal),
    sleep: cancellableSleep(rest.sleep ?? realSleep, signal),
  }
}

export function createRegistrar(config: RegistrarConfig, options: RegistrarDependencies = {}): Registrar {
  const { store } = options
  const deps = httpDependencies(options)
  switch (config.kind) {
    case 'capgo':
      return createCapgoRegistrar({ apiUrl: config.apiUrl, apiKey: config.apiKey, ...deps })
    case 'webhook':
      return createWebhookRegistrar({ url: config.url, secret: config.secret, ...deps })
    case 'none':
      return createNoneRegistrar({ logger: deps.logger })
    case 'self-hosted':
      if (!store)
        throw new LiveUpdateError(
          'input_storage_missing',
          "'server: self-hosted' needs storage (s3 or dir): the records devices read live there.",
          { stage: 'input', input: 'storage' },
        )
      return createSelfHostedRegistrar({ store, logger: deps.logger })
  }
}

export { createCapgoRegistrar, createNoneRegistrar, createSelfHostedRegistrar, createWebhookRegistrar }
export type { CapgoRegistrarOptions, WebhookRegistrarOptions }
export { CAPGO_API_URL } from './capgo.js'
export {
  signWebhook,
  verifyWebhookSignature,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  WEBHOOK_EVENT,
  type WebhookPayload,
  type WebhookVerification,
} from './webhook.js'
export { mightBeRegistered, RegistrationError, type BundleState } from './registration.js'
