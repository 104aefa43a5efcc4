import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { CapgoHttpApi } from '../src/core/register/capgo-api.js'
import { createCapgoRegistrar, type CapgoRegistrarOptions } from '../src/core/register/capgo.js'
import { HttpJsonClient } from '../src/core/register/http.js'
import { mightBeRegistered } from '../src/core/register/registration.js'
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

/** A fetch that gives up on `route` (e.g. 'POST /bundle') once the server has received it, as a
 * client timeout would: deterministic, unlike a short timeout racing a slow server. */
function timesOut(route: string): Fetch {
  return async (input, init) => {
    if (`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}` !== route) return fetch(input, init)
    const controller = new AbortController()
    const arrived = server.arrival(route)
    const answer = fetch(input, { ...init, signal: controller.signal })
    await arrived
    controller.abort(new DOMException('The operation timed out.', 'TimeoutError'))
    return answer
  }
}

const calls = () =>
  server.requests.map((r) => `${r.method} ${r.path}${r.query.page !== undefined ? `?page=${r.query.page}` : ''}`)

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
    expect(row).toMatchObject({
      name: '1.2.3',
      checksum: req.checksum,
      session_key: req.sessionKey,
      key_id: KEY_ID,
      external_url: req.externalUrl,
    })
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
    const second = {
      ...first,
      channel: 'beta',
      externalUrl: 'https://cdn.example.com/other.zip',
      sessionKey: `${randomBytes(16).toString('base64')}:xyz`,
    }
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
    await expect(registrar().register(request({ channel: 'beta' }))).rejects.toMatchObject({
      code: 'capgo_version_conflict',
      stage: 'register',
      input: 'version',
      bundleState: 'not-registered',
      message: expect.stringMatching(/must be bumped/),
    })
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
      await expect(registrar().register(bad)).rejects.toMatchObject({
        stage: 'register',
        bundleState: 'not-registered',
      })
    }
    expect(server.requests).toHaveLength(0)
  })
})

describe('capgo registrar: lookup', () => {
  it('pages newest first until the version shows up (120 bundles, found on page 2)', async () => {
    await start()
    const rows = server.seed(
      APP,
      Array.from({ length: 120 }, (_, i) => ({
        name: `1.0.${i}`,
        checksum: `sum-${i}`,
        external_url: `https://cdn/${i}.zip`,
      })),
    )
    const result = await registrar().lookup(APP, '1.0.10') // index 109 newest-first => page 2
    expect(result).toEqual({
      found: true,
      checksum: 'sum-10',
      bundleId: String(rows[10]!.id),
      externalUrl: 'https://cdn/10.zip',
    })
    expect(calls()).toEqual(['GET /bundle?page=0', 'GET /bundle?page=1', 'GET /bundle?page=2'])
    expect(server.requests[0]!.query).toEqual({ app_id: APP, page: '0' })
    expect(server.requests[0]!.auth.known).toBe(true)
  })

  it('stops at a short page, and treats the empty page after a full one as the end', async () => {
    await start()
    server.seed(
      APP,
      Array.from({ length: 120 }, (_, i) => ({ name: `1.0.${i}` })),
    )
    expect(await registrar().lookup(APP, '9.9.9')).toEqual({ found: false })
    expect(calls()).toEqual(['GET /bundle?page=0', 'GET /bundle?page=1', 'GET /bundle?page=2'])

    await server.close()
    await start()
    server.seed(
      APP,
      Array.from({ length: 50 }, (_, i) => ({ name: `1.0.${i}` })),
    )
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
    server.seed(
      APP,
      Array.from({ length: 200 }, (_, i) => ({ name: `1.0.${i}` })),
    )
    const warnings: string[] = []
    const result = await registrar({
      maxPages: 2,
      logger: { info() {}, debug() {}, warn: (m) => void warnings.push(m) },
    }).lookup(APP, '1.0.0')
    expect(result).toEqual({ found: false })
    expect(server.requests).toHaveLength(2)
    expect(warnings.join('\n')).toMatch(/stopped looking/)
  })

  it('"You can\'t access this app" under cannot_get_bundle is a permission error, not "not found"', async () => {
    await start({ keys: [{ key: KEY, apps: ['com.other.app'] }] })
    await expect(registrar().lookup(APP, '1.0.0')).rejects.toMatchObject({
      code: 'capgo_permission_denied',
      stage: 'lookup',
      input: 'capgo-api-key',
    })
  })
})

describe('capgo registrar: refusals map to clear errors', () => {
  it('a wrong API key: invalid_apikey, named capgo-api-key, key never shown', async () => {
    await start()
    const wrongKey = 'wrong-secret-key-value'
    const error = registrar({ apiKey: wrongKey }).register(request())
    await expect(error).rejects.toMatchObject({
      code: 'capgo_api_key_invalid',
      input: 'capgo-api-key',
      bundleState: 'not-registered',
      message: expect.stringMatching(/invalid_apikey/),
    })
    await expect(error).rejects.toMatchObject({ message: expect.not.stringContaining(wrongKey) })
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
    await expect(registrar({ fetch: moveKey }).register(request())).rejects.toMatchObject({
      code: 'capgo_api_key_missing',
      input: 'capgo-api-key',
      message: expect.stringMatching(/no_key_provided/),
    })
  })

  it('an empty API key is refused before any call', async () => {
    await start()
    await expect(registrar({ apiKey: '  ' }).lookup(APP, '1.0.0')).rejects.toMatchObject({
      code: 'input_capgo_api_key_missing',
      stage: 'input',
      input: 'capgo-api-key',
    })
    expect(server.requests).toHaveLength(0)
  })

  it('a key without the upload right (403) or limited to other apps', async () => {
    await start({
      keys: [
        { key: KEY, upload: false },
        { key: 'limited-key-123', apps: ['com.other.app'] },
      ],
    })
    await expect(registrar().register(request())).rejects.toMatchObject({
      code: 'capgo_permission_denied',
      httpStatus: 403,
      input: 'capgo-api-key',
      message: expect.stringMatching(/upload right.*app\.upload_bundle/),
    })
    await expect(registrar({ apiKey: 'limited-key-123' }).register(request())).rejects.toMatchObject({
      code: 'capgo_permission_denied',
      message: expect.stringMatching(/limited to some apps/),
    })
  })

  it('an unknown app, an invalid app id, a non-semver version, an http URL', async () => {
    await start()
    await expect(registrar().register(request({ appId: 'com.unknown.app' }))).rejects.toMatchObject({
      code: 'capgo_app_not_found',
      input: 'app-id',
    })
    await expect(registrar().register(request({ appId: 'not_an_app_id' }))).rejects.toMatchObject({
      code: 'capgo_app_id_invalid',
      input: 'app-id',
    })
    await expect(registrar().register(request({ version: 'v1.2' }))).rejects.toMatchObject({
      code: 'capgo_version_invalid',
      input: 'version',
      message: expect.stringMatching(/semver/),
    })
    await expect(
      registrar().register(request({ externalUrl: 'http://cdn.example.com/x.zip?X-Amz-Signature=secret' })),
    ).rejects.toMatchObject({
      code: 'capgo_bundle_url_invalid',
      input: 'public-url',
      message: expect.stringMatching(/^(?!.*X-Amz-Signature).*https/),
    })
    expect(server.bundlesOf(APP)).toHaveLength(0)
  })

  it('org policy: a required encryption key names our key_id and the expected prefix', async () => {
    await start({ policy: { enforceEncryptedBundles: true, requiredEncryptionKey: 'MIIBCgKCAQEAotherkey' } })
    await expect(registrar().register(request())).rejects.toMatchObject({
      code: 'capgo_encryption_key_mismatch',
      input: 'private-key',
      message: expect.stringMatching(new RegExp(`${KEY_ID}.*starts with MIIB`)),
    })

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
    await expect(registrar({ fetch: dropSessionKey }).register(request())).rejects.toMatchObject({
      code: 'capgo_encryption_required',
      message: expect.stringMatching(/enforces encrypted bundles/),
    })
  })

  it('an unknown error code: status, code and a truncated excerpt of the body', async () => {
    await start()
    server.fail({
      method: 'POST',
      path: '/bundle',
      status: 418,
      body: { error: 'teapot_mode', message: 'x'.repeat(1000) },
    })
    await expect(registrar().register(request())).rejects.toMatchObject({
      code: 'capgo_http_failed',
      // The body is quoted as a short excerpt, not whole.
      message: expect.stringMatching(/^(?=.{1,499}$).*HTTP 418 teapot_mode.*xxxx/),
    })
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
    await expect(registrar().lookup(APP, '1.0.0')).rejects.toMatchObject({
      code: 'capgo_rate_limited',
      message: expect.stringMatching(/3600 s/),
    })
    expect(waits).toEqual([])
  })

  it('works under a rate limit (every 429 waited out as told, on a shared fake clock)', async () => {
    let clock = 0
    await start({ rateLimit: { max: 1, windowMs: 1000, retryAfterSeconds: 1 }, now: () => clock })
    const paced = registrar({ now: () => clock, sleep: async (ms) => void (waits.push(ms), (clock += ms)) })
    expect(await paced.lookup(APP, '1.2.3')).toEqual({ found: false })
    expect((await paced.register(request())).status).toBe('registered')
    // One request per window: each call after the first is refused once and waits the Retry-After.
    expect(waits).toEqual([1000, 1000])
    expect(calls()).toEqual(['GET /bundle?page=0', 'POST /bundle', 'POST /bundle', 'POST /channel', 'POST /channel'])
  })

  it('retries 5xx on idempotent calls, then gives up with a clear error', async () => {
    await start()
    server.fail({ method: 'POST', path: '/channel', status: 502, times: 2 })
    expect((await registrar().register(request())).status).toBe('registered')
    expect(calls()).toEqual(['POST /bundle', 'POST /channel', 'POST /channel', 'POST /channel'])
    expect(waits).toHaveLength(2)

    server.requests.length = 0
    server.fail({
      method: 'GET',
      path: '/bundle',
      status: 500,
      times: 10,
      body: { error: 'internal', message: 'database exploded' },
    })
    await expect(registrar({ attempts: 3 }).lookup(APP, '1.2.3')).rejects.toMatchObject({
      code: 'capgo_server_failed',
      message: expect.stringMatching(/HTTP 500 internal.*tried 3 times.*database exploded/),
    })
    expect(server.requests).toHaveLength(3)
  })

  it('a channel failure after the bundle exists says the bundle is registered (keep the upload)', async () => {
    await start()
    server.fail({ method: 'POST', path: '/channel', status: 503, times: 10 })
    const error = registrar({ attempts: 2 }).register(request())
    await expect(error).rejects.toMatchObject({
      bundleState: 'registered',
      message: expect.stringMatching(/bundle itself is registered/),
    })
    expect(mightBeRegistered(await error.catch((e: unknown) => e))).toBe(true)
  })

  it('a timeout after POST /bundle landed: looks the version up instead of re-sending, and finds ours', async () => {
    await start()
    server.fail({ method: 'POST', path: '/bundle', afterHandling: true, hang: true })
    const req = request()
    const result = await registrar({ fetch: timesOut('POST /bundle') }).register(req)
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
    await expect(registrar({ attempts: 3 }).register(request())).rejects.toMatchObject({
      code: 'capgo_server_failed',
      bundleState: 'not-registered',
    })
    expect(calls()).toEqual([
      'POST /bundle',
      'GET /bundle?page=0',
      'POST /bundle',
      'GET /bundle?page=0',
      'POST /bundle',
      'GET /bundle?page=0',
    ])
    expect(server.bundlesOf(APP)).toHaveLength(0)
  })

  it('a timeout on POST /bundle whose look-up finds nothing stays "maybe registered" (the server may still be writing)', async () => {
    await start()
    server.fail({ method: 'POST', path: '/bundle', hang: true, times: 10 })
    await expect(registrar({ attempts: 2, fetch: timesOut('POST /bundle') }).register(request())).rejects.toMatchObject(
      {
        code: 'capgo_request_timeout',
        bundleState: 'maybe-registered',
        message: expect.stringMatching(/MAY be registered/),
      },
    )
    expect(calls()).toEqual(['POST /bundle', 'GET /bundle?page=0', 'POST /bundle', 'GET /bundle?page=0'])
  })

  it('outcome unknown and the look-up fails too: ambiguous error', async () => {
    await start()
    server.fail({ method: 'POST', path: '/bundle', afterHandling: true, drop: true })
    server.fail({ method: 'GET', path: '/bundle', status: 500, times: 20 })
    await expect(registrar({ attempts: 2 }).register(request())).rejects.toMatchObject({
      bundleState: 'maybe-registered',
    })
    expect(server.bundlesOf(APP)).toHaveLength(1) // it did land: keeping the upload was right
    expect(server.requests.filter((r) => r.method === 'POST' && r.path === '/bundle')).toHaveLength(1)
  })

  it('an unreachable server (connection refused) is retried without ambiguity', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    await start()
    await expect(
      registrar({ apiUrl: `http://127.0.0.1:${port}`, attempts: 3 }).register(request()),
    ).rejects.toMatchObject({
      code: 'capgo_api_unreachable',
      bundleState: 'not-registered',
    })
    expect(waits).toHaveLength(2)
  })
})

describe('CapgoApi against the stand-in: the channel and clean-up calls', () => {
  const api = () =>
    new CapgoHttpApi(
      new HttpJsonClient({
        baseUrl: server.url,
        service: 'Capgo',
        headers: { authorization: KEY },
        secrets: [KEY],
        sleep: async () => {},
      }),
    )

  it('PUT /bundle points a channel (by id) at a bundle (by id), with the body fields Capgo reads', async () => {
    await start()
    await registrar().register(request({ version: '1.0.0' }))
    await registrar().register(request({ version: '1.0.1', channel: 'beta' }))
    const [first] = server.bundlesOf(APP)
    const production = server.channels.find((c) => c.name === 'production')!
    await api().putBundle({ app_id: APP, version_id: Number(first!.id), channel_id: production.id })
    expect(server.channel(APP, 'production')?.name).toBe('1.0.0')
    await expect(
      api().putBundle({ app_id: APP, version_id: 999_999, channel_id: production.id }),
    ).rejects.toMatchObject({ status: 400, apiCode: 'cannot_find_version' })
  })

  it('DELETE /bundle refuses a bundle a channel serves; DELETE /channel then lets it go', async () => {
    await start()
    await registrar().register(request({ version: '1.0.0', channel: 'pr-7' }))
    await expect(api().deleteBundle({ app_id: APP, version: '1.0.0' })).rejects.toMatchObject({
      status: 400,
      apiCode: 'cannot_delete_linked_version',
    })
    await api().deleteChannel({ app_id: APP, channel: 'pr-7' })
    await api().deleteBundle({ app_id: APP, version: '1.0.0' })
    expect(server.bundlesOf(APP)).toEqual([])
    expect(server.requests.slice(-3).map((r) => [r.method, r.path, r.body])).toEqual([
      ['DELETE', '/bundle', { app_id: APP, version: '1.0.0' }],
      ['DELETE', '/channel', { app_id: APP, channel: 'pr-7' }],
      ['DELETE', '/bundle', { app_id: APP, version: '1.0.0' }],
    ])
    await expect(api().deleteChannel({ app_id: APP, channel: 'pr-7' })).rejects.toMatchObject({
      apiCode: 'cannot_find_channel',
    })
  })

  it('POST /channel passes further Capgo fields through untouched', async () => {
    await start()
    await registrar().register(request({ version: '1.0.0' }))
    await api().postChannel({ app_id: APP, channel: 'production', version: '1.0.0', public: true })
    expect(server.requests.at(-1)!.body).toEqual({ app_id: APP, channel: 'production', version: '1.0.0', public: true })
  })
})
