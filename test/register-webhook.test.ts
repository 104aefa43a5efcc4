import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { createHmac, randomBytes } from 'node:crypto'
import { mightBeRegistered } from '../src/core/register/registration.js'
import { createRegistrar } from '../src/core/register/index.js'
import { createNoneRegistrar } from '../src/core/register/none.js'
import {
  createWebhookRegistrar,
  signWebhook,
  verifyWebhookSignature,
  type WebhookRegistrarOptions,
} from '../src/core/register/webhook.js'
import type { RegistrationRequest } from '../src/core/types.js'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js'

const SECRET = 'whsec-test-0123456789abcdef'
const NOW = 1_760_000_000_000

function request(overrides: Partial<RegistrationRequest> = {}): RegistrationRequest {
  return {
    appId: 'com.example.app',
    version: '2.0.0',
    channel: 'production',
    externalUrl: 'https://cdn.example.com/com.example.app/2.0.0/ff.zip',
    checksum: randomBytes(256).toString('hex'),
    sessionKey: `${randomBytes(16).toString('base64')}:${randomBytes(256).toString('base64')}`,
    keyId: 'MIIBCgKCAQEAtestkey1',
    sha256: randomBytes(32).toString('hex'),
    zipSize: 1000,
    encryptedSize: 1008,
    git: {
      sha: 'abc123',
      ref: 'refs/tags/v2.0.0',
      runUrl: 'https://github.com/acme/app/actions/runs/1',
      repository: 'acme/app',
    },
    ...overrides,
  }
}

let receiver: WebhookReceiver
let waits: number[]
let clock: number

function registrar(options: Partial<WebhookRegistrarOptions> = {}) {
  return createWebhookRegistrar({
    url: receiver.url,
    secret: SECRET,
    sleep: async (ms) => {
      waits.push(ms)
      clock += ms
    },
    now: () => clock,
    random: () => 0.5,
    timeoutMs: 2_000,
    ...options,
  })
}

/** A fetch that gives up once the receiver has the request, as a client timeout would (no race). */
const timesOut: typeof fetch = async (input, init) => {
  const controller = new AbortController()
  const arrived = receiver.arrival()
  const answer = fetch(input, { ...init, signal: controller.signal })
  await arrived
  controller.abort(new DOMException('The operation timed out.', 'TimeoutError'))
  return answer
}

beforeEach(async () => {
  waits = []
  clock = NOW
  receiver = await startWebhookReceiver({ secret: SECRET, now: () => clock })
})
afterEach(async () => {
  await receiver.close()
})

describe('webhook registrar', () => {
  it('posts the signed document; the receiver verifies it and stores exactly the fields', async () => {
    const req = request()
    const result = await registrar().register(req)
    expect(result.status).toBe('registered')
    expect(receiver.requests).toHaveLength(1)
    const received = receiver.requests[0]!
    expect(received.status).toBe(200)
    const ts = String(Math.floor(NOW / 1000))
    expect(received.headers['content-type']).toBe('application/json')
    expect(received.headers['user-agent']).toBe('capacitor-live-update-action')
    expect(received.headers['x-live-update-timestamp']).toBe(ts)
    // Independent computation of the documented scheme.
    const expected = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${received.rawBody}`).digest('hex')}`
    expect(received.headers['x-signature-256']).toBe(expected)
    expect(JSON.parse(received.rawBody)).toEqual({
      event: 'bundle.published',
      appId: req.appId,
      version: req.version,
      channel: req.channel,
      externalUrl: req.externalUrl,
      sessionKey: req.sessionKey,
      checksum: req.checksum,
      sha256: req.sha256,
      keyId: req.keyId,
      zipSize: 1000,
      encryptedSize: 1008,
      git: req.git,
      rollout: null,
      timestamp: Number(ts),
    })
    expect(receiver.events.get('com.example.app@2.0.0')?.checksum).toBe(req.checksum)
    expect(received.rawBody).not.toContain(SECRET)
  })

  it('the receiver refuses a tampered body, an old timestamp, a replay and a wrong secret (401)', async () => {
    await registrar().register(request())
    const good = receiver.requests[0]!
    const send = (body: string, headers: Record<string, string>) =>
      fetch(receiver.url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } })
    const signedHeaders = {
      'x-live-update-timestamp': good.headers['x-live-update-timestamp']!,
      'x-signature-256': good.headers['x-signature-256']!,
    }

    // Tampered body (another URL), original headers.
    const tampered = good.rawBody.replace('https://cdn.example.com', 'https://evil.example.com')
    expect((await send(tampered, signedHeaders)).status).toBe(401)
    expect(receiver.requests.at(-1)!.reason).toBe('mismatch')

    // Timestamp swapped for a fresh one without re-signing: the signature covers it.
    expect(
      (await send(good.rawBody, { ...signedHeaders, 'x-live-update-timestamp': String(Math.floor(clock / 1000) + 1) }))
        .status,
    ).toBe(401)
    expect(receiver.requests.at(-1)!.reason).toBe('mismatch')

    // Correctly signed, but 10 minutes old.
    const oldTs = Math.floor(NOW / 1000) - 600
    expect(
      (
        await send(good.rawBody, {
          'x-live-update-timestamp': String(oldTs),
          'x-signature-256': signWebhook(SECRET, oldTs, good.rawBody),
        })
      ).status,
    ).toBe(401)
    expect(receiver.requests.at(-1)!.reason).toBe('expired')

    // Replaying the captured request 10 minutes later.
    clock += 600_000
    expect((await send(good.rawBody, signedHeaders)).status).toBe(401)
    expect(receiver.requests.at(-1)!.reason).toBe('expired')

    // A registrar with the wrong secret: clear error naming webhook-secret, not retried.
    const before = receiver.requests.length
    await expect(
      registrar({ secret: 'wrong-secret-value-xyz' }).register(request({ version: '2.0.1' })),
    ).rejects.toMatchObject({
      code: 'webhook_http_failed',
      input: 'webhook-secret',
      message: expect.stringMatching(/^(?!.*wrong-secret-value-xyz).*HTTP 401/),
    })
    expect(receiver.requests.length - before).toBe(1)
    expect(receiver.events.size).toBe(1)
  })

  it('retries 5xx with a fresh timestamp and signature each time', async () => {
    receiver.fail({ status: 503, times: 2 })
    const result = await registrar({ baseDelayMs: 2_000, random: () => 1 }).register(request())
    expect(result.status).toBe('registered')
    expect(receiver.requests.map((r) => r.status)).toEqual([503, 503, 200])
    expect(waits).toHaveLength(2)
    const stamps = receiver.requests.map((r) => r.headers['x-live-update-timestamp'])
    expect(new Set(stamps).size).toBe(3)
    expect(waits).toEqual([2000, 4000])
  })

  it('honours Retry-After on 429', async () => {
    receiver.fail({ status: 429, times: 1 })
    // The injected receiver answers 429 without Retry-After: backoff. Then with one, via a wrapper.
    await registrar().register(request())
    expect(waits).toHaveLength(1)
    waits = []
    let first = true
    const withRetryAfter: typeof fetch = async (input, init) => {
      if (first) {
        first = false
        return new Response('{"error":"slow down"}', { status: 429, headers: { 'retry-after': '5' } })
      }
      return fetch(input, init)
    }
    await registrar({ fetch: withRetryAfter }).register(request({ version: '2.0.2' }))
    expect(waits).toEqual([5000])
  })

  it('gives up after persistent 5xx, keeping the upload (the receiver may have stored it)', async () => {
    receiver.fail({ status: 500, times: 10, body: 'upstream database unavailable' })
    await expect(registrar({ attempts: 3 }).register(request())).rejects.toMatchObject({
      bundleState: 'maybe-registered',
      message: expect.stringMatching(/HTTP 500 \(tried 3 times\): upstream database unavailable/),
    })
    expect(receiver.requests).toHaveLength(3)
  })

  it('a 400 fails at once with the status and a body excerpt', async () => {
    receiver.fail({
      status: 400,
      body: JSON.stringify({ error: 'unknown_app', message: 'app com.example.app is not configured here' }),
    })
    await expect(registrar().register(request())).rejects.toMatchObject({
      code: 'webhook_http_failed',
      stage: 'register',
      bundleState: 'not-registered',
      message: expect.stringMatching(/HTTP 400: .*is not configured here/),
    })
    expect(receiver.requests).toHaveLength(1)
  })

  it('a timeout is retried and ends ambiguous', async () => {
    receiver.fail({ hang: true, times: 5 })
    const error = await registrar({ attempts: 2, fetch: timesOut })
      .register(request())
      .catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'webhook_request_timeout',
      bundleState: 'maybe-registered',
      message: expect.stringMatching(/tried 2 times/),
    })
    expect(mightBeRegistered(error)).toBe(true)
    expect(receiver.requests).toHaveLength(2)
  })

  it('refuses half a bundle before any call; lookup and pointChannel make no call', async () => {
    const r = registrar()
    await expect(r.register(request({ sessionKey: '' }))).rejects.toMatchObject({ stage: 'register' })
    await expect(r.register(request({ checksum: 'abc' }))).rejects.toMatchObject({ stage: 'register' })
    expect(await r.lookup('com.example.app', '2.0.0')).toEqual({ found: false })
    await r.pointChannel('com.example.app', 'beta', '2.0.0')
    expect(receiver.requests).toHaveLength(0)
  })
})

describe('verifyWebhookSignature', () => {
  const body = '{"event":"bundle.published"}'
  const ts = Math.floor(NOW / 1000)
  const now = () => NOW

  it('accepts a good signature (string or bytes) and reports why others fail', () => {
    const signature = signWebhook(SECRET, ts, body)
    expect(verifyWebhookSignature({ secret: SECRET, body, timestamp: String(ts), signature, now })).toEqual({
      ok: true,
    })
    expect(
      verifyWebhookSignature({
        secret: SECRET,
        body: Buffer.from(body),
        timestamp: ts,
        signature: signature.toUpperCase().replace('SHA256=', 'sha256='),
        now,
      }),
    ).toEqual({ ok: true })
    expect(verifyWebhookSignature({ secret: SECRET, body, timestamp: undefined, signature, now })).toEqual({
      ok: false,
      reason: 'missing',
    })
    expect(verifyWebhookSignature({ secret: SECRET, body, timestamp: ts, signature: 'sha1=abc', now })).toEqual({
      ok: false,
      reason: 'malformed',
    })
    expect(verifyWebhookSignature({ secret: SECRET, body, timestamp: '12.5', signature, now })).toEqual({
      ok: false,
      reason: 'malformed',
    })
    expect(verifyWebhookSignature({ secret: 'other', body, timestamp: ts, signature, now })).toEqual({
      ok: false,
      reason: 'mismatch',
    })
    // Future timestamps beyond the tolerance too.
    const future = ts + 301
    expect(
      verifyWebhookSignature({
        secret: SECRET,
        body,
        timestamp: future,
        signature: signWebhook(SECRET, future, body),
        now,
      }),
    ).toEqual({ ok: false, reason: 'expired' })
    expect(
      verifyWebhookSignature({
        secret: SECRET,
        body,
        timestamp: future,
        signature: signWebhook(SECRET, future, body),
        now,
        toleranceSeconds: 600,
      }),
    ).toEqual({ ok: true })
  })
})

describe('createRegistrar and none', () => {
  it('builds each kind', async () => {
    expect(createRegistrar({ kind: 'capgo', apiUrl: 'https://api.capgo.app', apiKey: 'k' }).kind).toBe('capgo')
    expect(createRegistrar({ kind: 'webhook', url: receiver.url, secret: SECRET }).kind).toBe('webhook')
    const none = createRegistrar({ kind: 'none' })
    expect(none.kind).toBe('none')
    expect(await none.lookup('com.example.app', '1.0.0')).toEqual({ found: false })
    const result = await createNoneRegistrar().register(request())
    expect(result.status).toBe('registered')
    expect(result.bundleId).toBeUndefined()
  })

  it('a capgo registrar without a key can be built (dry runs) but refuses to call', async () => {
    const r = createRegistrar(
      { kind: 'capgo', apiUrl: 'https://api.capgo.app', apiKey: '' },
      {
        fetch: async () => {
          throw new Error('no call expected')
        },
      },
    )
    await expect(r.lookup('com.example.app', '1.0.0')).rejects.toMatchObject({ input: 'capgo-api-key' })
  })

  it('a webhook or Capgo URL holding credentials is refused up front, naming the input and never showing them', () => {
    const secretFree = expect.not.stringMatching(/hook-pass-4821|tok-9137|cap-pass-5930/)
    expect(() =>
      createRegistrar({
        kind: 'webhook',
        url: 'https://hook-user:hook-pass-4821@hooks.example.com/in?token=tok-9137',
        secret: SECRET,
      }),
    ).toThrow(expect.objectContaining({ code: 'input_webhook_url_invalid', input: 'webhook-url', message: secretFree }))
    expect(() =>
      createRegistrar({ kind: 'capgo', apiUrl: 'https://cap-user:cap-pass-5930@capgo.example.com', apiKey: 'k' }),
    ).toThrow(
      expect.objectContaining({ code: 'input_capgo_api_url_invalid', input: 'capgo-api-url', message: secretFree }),
    )
    expect(() =>
      createRegistrar({
        kind: 'webhook',
        url: 'hook-user:hook-pass-4821@hooks.example.com/in?token=tok-9137',
        secret: SECRET,
      }),
    ).toThrow(expect.objectContaining({ code: 'input_webhook_url_invalid', input: 'webhook-url', message: secretFree }))
  })

  it('a webhook registrar without a secret can be built (dry runs on fork PRs) but refuses to send', async () => {
    const r = createRegistrar(
      { kind: 'webhook', url: receiver.url, secret: '' },
      {
        fetch: async () => {
          throw new Error('no call expected')
        },
      },
    )
    await expect(r.register(request())).rejects.toMatchObject({
      code: 'input_webhook_secret_missing',
      input: 'webhook-secret',
    })
    expect(receiver.requests).toHaveLength(0)
  })
})
