import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { LiveUpdateError } from '../src/core/errors.js'
import { createCapgoRegistrar, type CapgoRegistrarOptions } from '../src/core/register/capgo.js'
import { mightBeRegistered, RegistrationError } from '../src/core/register/http.js'
import type { Fetch, RegistrationRequest } from '../src/core/types.js'
import { startCapgoServer, type CapgoServer, type CapgoServerOptions } from './support/capgo-server.js'

const APP = 'com.example.app'
const KEY = 'capgo-test-key-0123456789'
const KEY_ID = 'MIIBCgKCAQEAtestkey1'

function checksum(): string {
  return randomBytes(256).toString('hex')
}

function request(overrides: Partial<RegistrationRequest> = {}): RegistrationRequest {
  return {
    appId: APP,
    version: '1.2.3',
    channel: 'production',
    externalUrl: 'https://cdn.example.com/com.example.app/1.2.3/abcd.zip',
    checksum: checksum(),
    sessionKey: `${randomBytes(16).toString('base64')}:${randomBytes(256).toString('base64')}`,
    keyId: KEY_ID,
    sha256: randomBytes(32).toString('hex'),
    zipSize: 1234,
    encryptedSize: 1248,
    ...overrides,
  }
}

let server: CapgoServer
let waits: number[]

async function start(options: CapgoServerOptions = {}): Promise<CapgoServer> {
  server = await startCapgoServer({ keys: [{ key: KEY }], apps: [APP], ...options })
  return server
}

function registrar(options: Partial<CapgoRegistrarOptions> = {}) {
  return createCapgoRegistrar({
    apiUrl: server.url,
    apiKey: KEY,
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
    timeoutMs: 2_000,
    ...options,
  })
}

async function failure(promise: Promise<unknown>): Promise<RegistrationError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(LiveUpdateError)
    return error as RegistrationError
  }
  throw new Error('expected a failure')
}

const calls = () => server.requests.map((r) => `${r.method} ${r.path}${r.query.page !== undefined ? `?page=${r.query.page}` : ''}`)

beforeEach(() => {
  waits = []
})
afterEach(async () => {
  await server?.close()
})

describe('capgo registrar: register', () => {
  it('registers with exactly the Capgo fields, points the channel and sets link/comment', async () => {
    await start()
    const req = request({ link: 'https://github.com/acme/app/commit/abc', comment: 'release 1.2.3' })
    const result = await registrar().register(req)

    expect(calls()).toEqual(['POST /bundle', 'POST /channel', 'POST /bundle/metadata'])
    const [create, channel, metadata] = server.requests
    expect(create!.body).toEqual({
      app_id: APP,
      version: '1.2.3',
      external_url: req.externalUrl,
      checksum: req.checksum,
      session_key: req.sessionKey,
      key_id: KEY_ID,
    })
    // Raw key in `authorization` (no Bearer), recognised by the server; JSON content type.
    expect(create!.auth).toEqual({ header: 'authorization', known: true })
    expect(create!.headers['content-type']).toBe('application/json')
    expect(create!.headers['x-api-key']).toBeUndefined()

    const row = server.bundlesOf(APP)[0]!
    expect(result).toEqual({ status: 'registered', bundleId: String(row.id), externalUrl: req.externalUrl })
    expect(row).toMatchObject({ name: '1.2.3', checksum: req.checksum, session_key: req.sessionKey, key_id: KEY_ID, external_url: req.externalUrl })
    expect(channel!.body).toEqual({ app_id: APP, channel: 'production', version: '1.2.3' })
    expect(server.channel(APP, 'production')?.id).toBe(row.id)
    expect(metadata!.body).toEqual({ app_id: APP, version_id: row.id, link: req.link, comment: req.comment })
    expect(row.link).toBe(req.link)
    expect(row.comment).toBe('release 1.2.3')
  })

  it('makes two calls without link/comment, and uses a custom API URL path prefix', async () => {
    await start()
    const result = await registrar({ apiUrl: `${server.url}/` }).register(request())
    expect(result.status).toBe('registered')
    expect(calls()).toEqual(['POST /bundle', 'POST /channel'])
  })

  it('re-registering the same version and checksum is already-registered and still points the channel', async () => {
    await start()
    const first = request()
    await registrar().register(first)
    const second = { ...first, channel: 'beta', externalUrl: 'https://cdn.example.com/other.zip', sessionKey: `${randomBytes(16).toString('base64')}:xyz` }
    const result = await registrar().register(second)
    expect(result.status).toBe('already-registered')
    expect(result.bundleId).toBe(String(server.bundlesOf(APP)[0]!.id))
    // The server holds the first run's URL: the second upload is unused.
    expect(result.externalUrl).toBe(first.externalUrl)
    expect(server.bundlesOf(APP)).toHaveLength(1)
    expect(server.channel(APP, 'beta')?.name).toBe('1.2.3')
  })

  it('the same version with another checksum is refused: it must be bumped', async () => {
    await start()
    await registrar().register(request())
    server.requests.length = 0
    const error = await failure(registrar().register(request({ channel: 'beta' })))
    expect(error.code).toBe('capgo_version_conflict')
    expect(error.stage).toBe('register')
    expect(error.input).toBe('version')
    expect(error.message).toMatch(/must be bumped/)
    expect(mightBeRegistered(error)).toBe(false)
    expect(calls()).toEqual(['POST /bundle', 'GET /bundle?page=0'])
    expect(server.channel(APP, 'beta')).toBeUndefined()
  })

  it('two concurrent runs of the same content end with one bundle and both succeed', async () => {
    await start()
    const a = request()
    const b = { ...a, externalUrl: 'https://cdn.example.com/b.zip', sessionKey: 'aXY=:b3RoZXI=' }
    const results = await Promise.all([registrar().register(a), registrar().register(b)])
    expect(results.map((r) => r.status).sort()).toEqual(['already-registered', 'registered'])
    expect(server.bundlesOf(APP)).toHaveLength(1)
    expect(new Set(results.map((r) => r.bundleId)).size).toBe(1)
    expect(server.channel(APP, 'production')?.name).toBe('1.2.3')
  })

  it('refuses to register without a session key or a signed checksum, before any call', async () => {
    await start()
    for (const bad of [
      request({ sessionKey: '' }),
      request({ checksum: '' }),
      request({ checksum: randomBytes(32).toString('hex') }), // a plain sha256 is not a V3 signed checksum
      request({ checksum: checksum().toUpperCase() }),
      request({ keyId: '' }),
    ]) {
      const error = await failure(registrar().register(bad))
      expect(error.stage).toBe('register')
      expect(mightBeRegistered(error)).toBe(false)
    }
    expect(server.requests).toHaveLength(0)
  })
})

describe('capgo registrar: lookup', () => {
  it('pages newest first until the version shows up (120 bundles, found on page 2)', async () => {
    await start()
    const rows = server.seed(APP, Array.from({ length: 120 }, (_, i) => ({ name: `1.0.${i}`, checksum: `sum-${i}`, external_url: `https://cdn/${i}.zip` })))
    const result = await registrar().lookup(APP, '1.0.10') // index 109 newest-first => page 2
    expect(result).toEqual({ found: true, checksum: 'sum-10', bundleId: String(rows[10]!.id), externalUrl: 'https://cdn/10.zip' })
    expect(calls()).toEqual(['GET /bundle?page=0', 'GET /bundle?page=1', 'GET /bundle?page=2'])
    expect(server.requests[0]!.query).toEqual({ app_id: APP, page: '0' })
    expect(server.requests[0]!.auth.known).toBe(true)
  })

  it('stops at a short page, and treats the empty page after a full one as the end', async () => {
    await start()
    server.seed(APP, Array.from({ length: 120 }, (_, i) => ({ name: `1.0.${i}` })))
    expect(await registrar().lookup(APP, '9.9.9')).toEqual({ found: false })
    expect(calls()).toEqual(['GET /bundle?page=0', 'GET /bundle?page=1', 'GET /bundle?page=2'])

    await server.close()
    await start()
    server.seed(APP, Array.from({ length: 50 }, (_, i) => ({ name: `1.0.${i}` })))
    expect(await registrar().lookup(APP, '9.9.9')).toEqual({ found: false })
    expect(calls()).toEqual(['GET /bundle?page=0', 'GET /bundle?page=1'])
  })

  it('an app without any bundle (400 cannot_get_bundle) is "not found"', async () => {
    await start()
    expect(await registrar().lookup(APP, '1.0.0')).toEqual({ found: false })
    expect(server.requests).toHaveLength(1)
  })

  it('bounds the paging', async () => {
    await start()
    server.seed(APP, Array.from({ length: 200 }, (_, i) => ({ name: `1.0.${i}` })))
    const warnings: string[] = []
    const result = await registrar({ maxPages: 2, logger: { info() {}, debug() {}, warn: (m) => void warnings.push(m) } }).lookup(APP, '1.0.0')
    expect(result).toEqual({ found: false })
    expect(server.requests).toHaveLength(2)
    expect(warnings.join('\n')).toMatch(/stopped looking/)
  })

  it('"You can\'t access this app" under cannot_get_bundle is a permission error, not "not found"', async () => {
    await start({ keys: [{ key: KEY, apps: ['com.other.app'] }] })
    const error = await failure(registrar().lookup(APP, '1.0.0'))
    expect(error.code).toBe('capgo_permission_denied')
    expect(error.stage).toBe('lookup')
    expect(error.input).toBe('capgo-api-key')
  })
})

describe('capgo registrar: refusals map to clear errors', () => {
  it('a wrong API key: invalid_apikey, named capgo-api-key, key never shown', async () => {
    await start()
    const wrongKey = 'wrong-secret-key-value'
    const error = await failure(registrar({ apiKey: wrongKey }).register(request()))
    expect(error.code).toBe('capgo_api_key_invalid')
    expect(error.input).toBe('capgo-api-key')
    expect(error.message).toMatch(/invalid_apikey/)
    expect(error.message).not.toContain(wrongKey)
    expect(mightBeRegistered(error)).toBe(false)
    expect(server.requests).toHaveLength(1) // not retried
  })

  it('no key reaching the server (e.g. sent as x-api-key, which Capgo ignores): no_key_provided', async () => {
    await start()
    const moveKey: Fetch = async (input, init) => {
      const headers = new Headers(init?.headers)
      headers.set('x-api-key', headers.get('authorization') ?? '')
      headers.delete('authorization')
      return fetch(input, { ...init, headers })
    }
    const error = await failure(registrar({ fetch: moveKey }).register(request()))
    expect(error.code).toBe('capgo_api_key_missing')
    expect(error.input).toBe('capgo-api-key')
    expect(error.message).toMatch(/no_key_provided/)
  })

  it('an empty API key is refused before any call', async () => {
    await start()
    const error = await failure(registrar({ apiKey: '  ' }).lookup(APP, '1.0.0'))
    expect(error.input).toBe('capgo-api-key')
    expect(server.requests).toHaveLength(0)
  })

  it('a key without the upload right (403) or limited to other apps', async () => {
    await start({ keys: [{ key: KEY, upload: false }, { key: 'limited-key-123', apps: ['com.other.app'] }] })
    const readOnly = await failure(registrar().register(request()))
    expect(readOnly.code).toBe('capgo_permission_denied')
    expect(readOnly.httpStatus).toBe(403)
    expect(readOnly.message).toMatch(/upload right/)
    expect(readOnly.message).toMatch(/app\.upload_bundle/)
    expect(readOnly.input).toBe('capgo-api-key')

    const limited = await failure(registrar({ apiKey: 'limited-key-123' }).register(request()))
    expect(limited.code).toBe('capgo_permission_denied')
    expect(limited.message).toMatch(/limited to some apps/)
  })

  it('an unknown app, an invalid app id, a non-semver version, an http URL', async () => {
    await start()
    const unknown = await failure(registrar().register(request({ appId: 'com.unknown.app' })))
    expect(unknown.code).toBe('capgo_app_not_found')
    expect(unknown.input).toBe('app-id')

    const invalidApp = await failure(registrar().register(request({ appId: 'not_an_app_id' })))
    expect(invalidApp.code).toBe('capgo_app_id_invalid')
    expect(invalidApp.input).toBe('app-id')

    const version = await failure(registrar().register(request({ version: 'v1.2' })))
    expect(version.code).toBe('capgo_version_invalid')
    expect(version.input).toBe('version')
    expect(version.message).toMatch(/semver/)

    const url = await failure(registrar().register(request({ externalUrl: 'http://cdn.example.com/x.zip?X-Amz-Signature=secret' })))
    expect(url.code).toBe('capgo_bundle_url_invalid')
    expect(url.input).toBe('public-url')
    expect(url.message).toMatch(/https/)
    expect(url.message).not.toContain('X-Amz-Signature')
    expect(server.bundlesOf(APP)).toHaveLength(0)
  })

  it('org policy: a required encryption key names our key_id and the expected prefix', async () => {
    await start({ policy: { enforceEncryptedBundles: true, requiredEncryptionKey: 'MIIBCgKCAQEAotherkey' } })
    const error = await failure(registrar().register(request()))
    expect(error.code).toBe('capgo_encryption_key_mismatch')
    expect(error.message).toContain(KEY_ID)
    expect(error.message).toMatch(/starts with MIIB/)
    expect(error.input).toBe('private-key')

    // The matching key passes.
    server.policy.requiredEncryptionKey = KEY_ID
    expect((await registrar().register(request())).status).toBe('registered')
  })

  it('org policy: encrypted bundles enforced and no session_key reached Capgo', async () => {
    await start({ policy: { enforceEncryptedBundles: true } })
    const dropSessionKey: Fetch = async (input, init) => {
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined
      if (body) delete body.session_key
      return fetch(input, { ...init, body: body ? JSON.stringify(body) : init?.body })
    }
    const error = await failure(registrar({ fetch: dropSessionKey }).register(request()))
    expect(error.code).toBe('capgo_encryption_required')
    expect(error.message).toMatch(/enforces encrypted bundles/)
  })

  it('an unknown error code: status, code and a truncated excerpt of the body', async () => {
    await start()
    server.fail({ method: 'POST', path: '/bundle', status: 418, body: { error: 'teapot_mode', message: 'x'.repeat(1000) } })
    const error = await failure(registrar().register(request()))
    expect(error.code).toBe('capgo_http_failed')
    expect(error.message).toMatch(/HTTP 418 teapot_mode/)
    expect(error.message).toContain('xxxx')
    expect(error.message.length).toBeLessThan(500)
  })
})

describe('capgo registrar: rate limits, server errors and ambiguity', () => {
  it('honours Retry-After on 429', async () => {
    await start()
    server.fail({ method: 'POST', path: '/bundle', status: 429, headers: { 'retry-after': '7' } })
    const result = await registrar().register(request())
    expect(result.status).toBe('registered')
    expect(waits).toEqual([7000])
    expect(calls()).toEqual(['POST /bundle', 'POST /bundle', 'POST /channel'])
  })

  it('gives up at once when Retry-After is beyond the cap', async () => {
    await start()
    server.fail({ method: 'GET', path: '/bundle', status: 429, headers: { 'retry-after': '3600' } })
    const error = await failure(registrar().lookup(APP, '1.0.0'))
    expect(error.code).toBe('capgo_rate_limited')
    expect(error.message).toMatch(/3600 s/)
    expect(waits).toEqual([])
  })

  it('works under a real rate limit (every 429 waited out as told)', async () => {
    await start({ rateLimit: { max: 1, windowMs: 150, retryAfterSeconds: 1 } })
    const slow = registrar({ sleep: async (ms) => { waits.push(ms); await new Promise((r) => setTimeout(r, 200)) } })
    expect(await slow.lookup(APP, '1.2.3')).toEqual({ found: false })
    expect((await slow.register(request())).status).toBe('registered')
    expect(waits.length).toBeGreaterThan(0)
    expect(new Set(waits)).toEqual(new Set([1000]))
  })

  it('retries 5xx on idempotent calls, then gives up with a clear error', async () => {
    await start()
    server.fail({ method: 'POST', path: '/channel', status: 502, times: 2 })
    expect((await registrar().register(request())).status).toBe('registered')
    expect(calls()).toEqual(['POST /bundle', 'POST /channel', 'POST /channel', 'POST /channel'])
    expect(waits).toHaveLength(2)

    server.requests.length = 0
    server.fail({ method: 'GET', path: '/bundle', status: 500, times: 10, body: { error: 'internal', message: 'database exploded' } })
    const error = await failure(registrar({ attempts: 3 }).lookup(APP, '1.2.3'))
    expect(error.code).toBe('capgo_server_failed')
    expect(error.message).toMatch(/HTTP 500 internal/)
    expect(error.message).toMatch(/tried 3 times/)
    expect(error.message).toContain('database exploded')
    expect(server.requests).toHaveLength(3)
  })

  it('a channel failure after the bundle exists says the bundle is registered (keep the upload)', async () => {
    await start()
    server.fail({ method: 'POST', path: '/channel', status: 503, times: 10 })
    const error = await failure(registrar({ attempts: 2 }).register(request()))
    expect(error.bundleState).toBe('registered')
    expect(mightBeRegistered(error)).toBe(true)
    expect(error.ambiguous).toBe(true)
    expect(error.message).toMatch(/bundle itself is registered/)
  })

  it('a timeout after POST /bundle landed: looks the version up instead of re-sending, and finds ours', async () => {
    await start()
    server.fail({ method: 'POST', path: '/bundle', afterHandling: true, delayMs: 600 })
    const req = request()
    const result = await registrar({ timeoutMs: 150 }).register(req)
    expect(result.status).toBe('registered')
    expect(result.externalUrl).toBe(req.externalUrl)
    expect(calls()).toEqual(['POST /bundle', 'GET /bundle?page=0', 'POST /channel'])
    expect(server.bundlesOf(APP)).toHaveLength(1)
  })

  it('a dropped connection before Capgo stored it: looks up, not there, sends again', async () => {
    await start()
    server.fail({ method: 'POST', path: '/bundle', drop: true })
    const result = await registrar().register(request())
    expect(result.status).toBe('registered')
    expect(calls()).toEqual(['POST /bundle', 'GET /bundle?page=0', 'POST /bundle', 'POST /channel'])
  })

  it('persistent 5xx on POST /bundle never repeats it blindly; a final look-up that finds nothing settles it as not registered', async () => {
    await start()
    server.fail({ method: 'POST', path: '/bundle', status: 503, times: 10 })
    const error = await failure(registrar({ attempts: 3 }).register(request()))
    expect(calls()).toEqual(['POST /bundle', 'GET /bundle?page=0', 'POST /bundle', 'GET /bundle?page=0', 'POST /bundle', 'GET /bundle?page=0'])
    expect(error.bundleState).toBe('not-registered')
    expect(mightBeRegistered(error)).toBe(false)
    expect(server.bundlesOf(APP)).toHaveLength(0)
  })

  it('a timeout on POST /bundle whose look-up finds nothing stays "maybe registered" (the server may still be writing)', async () => {
    await start()
    server.fail({ method: 'POST', path: '/bundle', delayMs: 400, times: 10 })
    const error = await failure(registrar({ attempts: 2, timeoutMs: 100 }).register(request()))
    expect(error.bundleState).toBe('maybe-registered')
    expect(mightBeRegistered(error)).toBe(true)
    expect(error.message).toMatch(/MAY be registered/)
  })

  it('outcome unknown and the look-up fails too: ambiguous error', async () => {
    await start()
    server.fail({ method: 'POST', path: '/bundle', afterHandling: true, drop: true })
    server.fail({ method: 'GET', path: '/bundle', status: 500, times: 20 })
    const error = await failure(registrar({ attempts: 2 }).register(request()))
    expect(error.ambiguous).toBe(true)
    expect(mightBeRegistered(error)).toBe(true)
    expect(server.bundlesOf(APP)).toHaveLength(1) // it did land: keeping the upload was right
    expect(server.requests.filter((r) => r.method === 'POST' && r.path === '/bundle')).toHaveLength(1)
  })

  it('an unreachable server (connection refused) is retried without ambiguity', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    await start()
    const error = await failure(registrar({ apiUrl: `http://127.0.0.1:${port}`, attempts: 3 }).register(request()))
    expect(error.code).toBe('capgo_api_unreachable')
    expect(mightBeRegistered(error)).toBe(false)
    expect(waits).toHaveLength(2)
  })
})
