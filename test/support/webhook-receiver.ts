/**
 * A webhook receiver on 127.0.0.1 (random port) that does what a real one must: verify the
 * x-signature-256 HMAC over `timestamp + "." + rawBody` and the timestamp freshness with
 * verifyWebhookSignature, answer 401 on failure, and store accepted events idempotently by
 * (appId, version). Faults (status / delay / hang / drop) can be injected for retry tests, and
 * `arrival()` resolves when the next request has been received.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { verifyWebhookSignature, type WebhookPayload } from '../../src/core/register/webhook.js'

export interface ReceivedRequest {
  headers: Record<string, string>
  rawBody: string
  status: number
  reason?: string
}

export interface ReceiverFault {
  times?: number
  status?: number
  body?: string
  delayMs?: number
  drop?: boolean
  /** Never answer (until the receiver closes): the client's timeout or abort decides. */
  hang?: boolean
}

export interface WebhookReceiver {
  url: string
  requests: ReceivedRequest[]
  /** Accepted bundle.published events, one per (appId, version). */
  events: Map<string, WebhookPayload>
  /** Every accepted event in arrival order (bundle.published and the channel.* events). */
  all: Array<Record<string, unknown>>
  fail(fault: ReceiverFault): void
  /** Resolves once the next request has been received (and recorded). */
  arrival(): Promise<void>
  close(): Promise<void>
}

export async function startWebhookReceiver(options: {
  secret: string
  now?: () => number
  toleranceSeconds?: number
}): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = []
  const events = new Map<string, WebhookPayload>()
  const all: Array<Record<string, unknown>> = []
  const faults: ReceiverFault[] = []
  const arrivals: (() => void)[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks)
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(req.headers))
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v
        const entry: ReceivedRequest = { headers, rawBody: raw.toString('utf8'), status: 0 }
        requests.push(entry)
        for (const resolve of arrivals.splice(0)) resolve()
        const reply = (status: number, body: string, reason?: string) => {
          entry.status = status
          entry.reason = reason
          if (res.destroyed) return
          res.writeHead(status, { 'content-type': 'application/json' })
          res.end(body)
        }
        const fault = faults[0]
        if (fault) {
          fault.times = (fault.times ?? 1) - 1
          if (fault.times <= 0) faults.shift()
          if (fault.hang) return
          if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs))
          if (fault.drop) {
            entry.status = -1
            req.socket.destroy()
            return
          }
          if (fault.status !== undefined) return reply(fault.status, fault.body ?? '{"error":"injected"}', 'fault')
        }
        if (req.method !== 'POST') return reply(405, '{"error":"method_not_allowed"}')
        const check = verifyWebhookSignature({
          secret: options.secret,
          body: raw,
          timestamp: req.headers['x-live-update-timestamp'] as string | undefined,
          signature: req.headers['x-signature-256'] as string | undefined,
          now: options.now,
          toleranceSeconds: options.toleranceSeconds,
        })
        if (!check.ok) return reply(401, JSON.stringify({ error: 'bad_signature', reason: check.reason }), check.reason)
        let payload: WebhookPayload
        try {
          payload = JSON.parse(raw.toString('utf8')) as WebhookPayload
        } catch {
          return reply(400, '{"error":"invalid_json"}')
        }
        if ((payload as { event?: string }).event !== 'bundle.published') {
          all.push(payload as unknown as Record<string, unknown>)
          return reply(200, '{"ok":true}')
        }
        const id = `${payload.appId}@${payload.version}`
        const existing = events.get(id)
        if (existing && existing.checksum !== payload.checksum)
          return reply(
            409,
            JSON.stringify({
              error: 'version_exists',
              message: `version ${payload.version} exists with other content`,
            }),
          )
        if (!existing) events.set(id, payload)
        all.push(payload as unknown as Record<string, unknown>)
        reply(200, '{"ok":true}')
      })()
    })
  })
  server.keepAliveTimeout = 1
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/live-update`,
    requests,
    events,
    all,
    fail: (fault) => void faults.push({ ...fault }),
    arrival: () => new Promise<void>((resolve) => arrivals.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
