/**
 * Release-mode events for a webhook receiver, signed exactly like `bundle.published`
 * (src/core/register/webhook.ts: `x-signature-256: sha256=HMAC(secret, timestamp + "." + body)`):
 * - `channel.promoted`   `{event, appId, channel, version, from, release, timestamp}`
 * - `channel.rolled_back` `{event, appId, channel, version, from, release, timestamp}`
 * - `channel.deleted`    `{event, appId, channel, versions, timestamp}` (versions only it used)
 * `release` carries what devices need (url, sessionKey, checksum, signature, keyId, ...).
 * Delivery is at-least-once: receivers key events on (event, appId, channel, version).
 */
import { LiveUpdateError } from '../errors.js'
import { describeFailure, HttpFailure, type HttpCallOptions } from '../register/http.js'
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER, webhookHttpClient } from '../register/webhook.js'
import type { ReleaseServer } from './server.js'

export const PROMOTED_EVENT = 'channel.promoted'
export const ROLLED_BACK_EVENT = 'channel.rolled_back'
export const DELETED_EVENT = 'channel.deleted'

export interface WebhookEventOptions extends HttpCallOptions {
  url: string
  secret: string
}

export function createWebhookReleaseServer(options: WebhookEventOptions): ReleaseServer {
  const client = webhookHttpClient(options)

  async function send(fields: Record<string, unknown>): Promise<void> {
    if (!options.secret) {
      throw new LiveUpdateError(
        'input_webhook_secret_missing',
        'A webhook secret is required: set webhook-secret (the receiver uses it to check x-signature-256).',
        { stage: 'input', input: 'webhook-secret' },
      )
    }
    try {
      // A fresh timestamp and signature per attempt, so a late retry is not refused as stale.
      await client.retry(() => {
        const timestamp = Math.floor(client.now() / 1000)
        const body = JSON.stringify({ ...fields, timestamp })
        const headers = {
          'content-type': 'application/json',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhook(options.secret, timestamp, body),
        }
        return client.send({ method: 'POST', body, headers })
      })
    } catch (error) {
      const detail =
        error instanceof HttpFailure
          ? `answered HTTP ${error.status}: ${error.excerpt}`
          : `failed (${describeFailure(error)})`
      const hint =
        error instanceof HttpFailure && (error.status === 401 || error.status === 403)
          ? " Check that webhook-secret matches the receiver's secret."
          : ''
      throw new LiveUpdateError(
        'webhook_event_failed',
        `The webhook ${client.shownUrl} ${detail} for the ${String(fields.event)} event.${hint} The records were not changed; re-run the job.`,
        {
          stage: 'release',
          input: 'webhook-url',
          cause: error,
        },
      )
    }
    client.logger?.info(
      `Webhook ${client.shownUrl} accepted ${String(fields.event)} for ${String(fields.appId)} channel "${String(fields.channel)}".`,
    )
  }

  return {
    kind: 'webhook',
    async channelState() {
      return undefined
    },
    async promote({ appId, channel, release, from }) {
      await send({ event: PROMOTED_EVENT, appId, channel, version: release.version, from: from ?? null, release })
    },
    async rollback({ appId, channel, release, from }) {
      await send({ event: ROLLED_BACK_EVENT, appId, channel, version: release.version, from: from ?? null, release })
    },
    async deleteChannel({ appId, channel, versions }) {
      await send({ event: DELETED_EVENT, appId, channel, versions })
      return versions
    },
  }
}
