/**
 * The Capgo registration policy against a fake CapgoApi: no server, no network, no clock. What is
 * checked is the order of calls and what the error says about the bundle, for every way
 * `POST /bundle` can fail. test/register-capgo.test.ts is the contract test against the strict
 * loopback stand-in.
 */
import { describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import type { CapgoApi, CapgoBundleRow, CapgoChannelSet, CapgoNewBundle } from '../../src/core/register/capgo-api.js'
import { CapgoRegistrar } from '../../src/core/register/capgo.js'
import { createRetrier, HttpFailure, TransportFailure } from '../../src/core/register/http.js'
import type { RegistrationRequest } from '../../src/core/types.js'

const APP = 'com.example.app'

function request(overrides: Partial<RegistrationRequest> = {}): RegistrationRequest {
  return {
    appId: APP,
    version: '1.2.3',
    channel: 'production',
    externalUrl: 'https://cdn.example.com/1.2.3.zip',
    checksum: randomBytes(256).toString('hex'),
    sessionKey: 'aXY=:a2V5',
    keyId: 'MIIBCgKCAQEAtestkey1',
    sha256: randomBytes(32).toString('hex'),
    zipSize: 10,
    encryptedSize: 26,
    ...overrides,
  }
}

/** What the next call of a method does: succeed, fail before reaching Capgo, or apply and then lose the answer. */
type Step = 'ok' | { fail: Error } | { applyThenFail: Error }

const timeout = (path = '/bundle') => new TransportFailure('POST', path, 'timeout', false, 'timeout', 30_000)
const refused = () => new TransportFailure('POST', '/bundle', 'network', true, 'ECONNREFUSED', 30_000)
const http = (status: number, apiCode?: string, path = '/bundle') =>
  new HttpFailure({ method: 'POST', path, status, apiCode })

class FakeCapgoApi implements CapgoApi {
  readonly rows: CapgoBundleRow[] = []
  readonly channels = new Map<string, string>()
  readonly calls: string[] = []
  private readonly scripts = new Map<string, Step[]>()
  private nextId = 1

  script(method: 'postBundle' | 'postChannel' | 'postMetadata' | 'listBundles', ...steps: Step[]): this {
    this.scripts.set(method, steps)
    return this
  }

  private async step(method: string, apply: () => void): Promise<void> {
    this.calls.push(method)
    const next = this.scripts.get(method)?.shift() ?? 'ok'
    if (next !== 'ok' && 'fail' in next) throw next.fail
    apply()
    if (next !== 'ok') throw next.applyThenFail
  }

  async *listBundles(): AsyncGenerator<CapgoBundleRow[]> {
    await this.step('listBundles', () => {})
    for (let page = 0; page * 2 < this.rows.length; page++)
      yield this.rows
        .slice()
        .reverse()
        .slice(page * 2, page * 2 + 2)
  }

  async postBundle(bundle: CapgoNewBundle): Promise<{ id?: string }> {
    const id = this.nextId++
    await this.step('postBundle', () => {
      if (this.rows.some((row) => row.name === bundle.version)) throw http(400, 'version_already_exists')
      this.rows.push({ id, name: bundle.version, checksum: bundle.checksum, external_url: bundle.external_url })
    })
    return { id: String(id) }
  }

  async postChannel(channel: CapgoChannelSet): Promise<unknown> {
    await this.step('postChannel', () => void this.channels.set(channel.channel, String(channel.version)))
    return { status: 'ok' }
  }

  async postMetadata(): Promise<unknown> {
    await this.step('postMetadata', () => {})
    return { status: 'success' }
  }

  async putBundle(): Promise<unknown> {
    throw new Error('not used by the registrar')
  }

  async deleteChannel(): Promise<unknown> {
    throw new Error('not used by the registrar')
  }

  async deleteBundle(): Promise<unknown> {
    throw new Error('not used by the registrar')
  }
}

function registrar(api: CapgoApi, options: { hasApiKey?: boolean; maxPages?: number; warnings?: string[] } = {}) {
  return new CapgoRegistrar({
    api,
    retry: createRetrier({ service: 'Capgo', attempts: 3, sleep: async () => {}, random: () => 0 }),
    endpoint: { baseUrl: 'https://api.capgo.test', attempts: 3 },
    hasApiKey: options.hasApiKey ?? true,
    maxPages: options.maxPages,
    logger: { info() {}, debug() {}, warn: (message) => void options.warnings?.push(message) },
  })
}

describe('Capgo policy: POST /bundle is never repeated blindly', () => {
  it('creates, then points the channel: two calls', async () => {
    const api = new FakeCapgoApi()
    await expect(registrar(api).register(request())).resolves.toMatchObject({ status: 'registered', bundleId: '1' })
    expect(api.calls).toEqual(['postBundle', 'postChannel'])
    expect(api.channels.get('production')).toBe('1.2.3')
  })

  it('a lost answer after Capgo stored it: looks up, finds ours, does not send again', async () => {
    const api = new FakeCapgoApi().script('postBundle', { applyThenFail: timeout() })
    await expect(registrar(api).register(request())).resolves.toMatchObject({
      status: 'registered',
      externalUrl: 'https://cdn.example.com/1.2.3.zip',
    })
    expect(api.calls).toEqual(['postBundle', 'listBundles', 'postChannel'])
    expect(api.rows).toHaveLength(1)
  })

  it('a timeout before Capgo stored it: looks up, absent, sends again', async () => {
    const api = new FakeCapgoApi().script('postBundle', { fail: timeout() })
    await expect(registrar(api).register(request())).resolves.toMatchObject({ status: 'registered' })
    expect(api.calls).toEqual(['postBundle', 'listBundles', 'postBundle', 'postChannel'])
  })

  it.each([
    ['a refused connection', refused()],
    ['429', http(429, 'too_many_requests')],
  ])('%s never reached Capgo: retried without a look-up', async (_label, error) => {
    const api = new FakeCapgoApi().script('postBundle', { fail: error })
    await expect(registrar(api).register(request())).resolves.toMatchObject({ status: 'registered' })
    expect(api.calls).toEqual(['postBundle', 'postBundle', 'postChannel'])
  })

  it('a final refusal (400) is not retried and leaves nothing registered', async () => {
    const api = new FakeCapgoApi().script('postBundle', { fail: http(401, 'invalid_apikey') })
    await expect(registrar(api).register(request())).rejects.toMatchObject({
      code: 'capgo_api_key_invalid',
      bundleState: 'not-registered',
    })
    expect(api.calls).toEqual(['postBundle'])
  })

  it('5xx on every attempt, and the look-ups find nothing: settled as not registered', async () => {
    const fail = { fail: http(503) }
    const api = new FakeCapgoApi().script('postBundle', fail, fail, fail)
    await expect(registrar(api).register(request())).rejects.toMatchObject({
      code: 'capgo_server_failed',
      bundleState: 'not-registered',
      message: expect.stringMatching(/tried 3 times/),
    })
    expect(api.calls).toEqual(['postBundle', 'listBundles', 'postBundle', 'listBundles', 'postBundle', 'listBundles'])
  })

  it('timeouts on every attempt: maybe registered (Capgo may still be writing it), upload kept', async () => {
    const fail = { fail: timeout() }
    const api = new FakeCapgoApi().script('postBundle', fail, fail, fail)
    await expect(registrar(api).register(request())).rejects.toMatchObject({
      code: 'capgo_request_timeout',
      bundleState: 'maybe-registered',
      message: expect.stringMatching(/MAY be registered/),
    })
  })

  it('the outcome is unknown and the look-up fails as well: maybe registered', async () => {
    const api = new FakeCapgoApi()
      .script('postBundle', { applyThenFail: timeout() })
      .script(
        'listBundles',
        { fail: http(500, undefined, '/bundle') },
        { fail: http(500) },
        { fail: http(500) },
        { fail: http(500) },
      )
    await expect(registrar(api).register(request())).rejects.toMatchObject({ bundleState: 'maybe-registered' })
    expect(api.calls.filter((call) => call === 'postBundle')).toHaveLength(1)
  })
})

describe('Capgo policy: an existing version', () => {
  it('same checksum at another URL (a concurrent run won): already-registered, channel still pointed', async () => {
    const api = new FakeCapgoApi()
    const first = request()
    await registrar(api).register(first)
    api.calls.length = 0
    const second = { ...first, channel: 'beta', externalUrl: 'https://cdn.example.com/other.zip' }
    await expect(registrar(api).register(second)).resolves.toMatchObject({
      status: 'already-registered',
      externalUrl: first.externalUrl,
    })
    expect(api.calls).toEqual(['postBundle', 'listBundles', 'postChannel'])
    expect(api.channels.get('beta')).toBe('1.2.3')
  })

  it('another checksum: a conflict, the channel is not touched', async () => {
    const api = new FakeCapgoApi()
    await registrar(api).register(request())
    api.calls.length = 0
    await expect(registrar(api).register(request({ channel: 'beta' }))).rejects.toMatchObject({
      code: 'capgo_version_conflict',
      bundleState: 'not-registered',
      input: 'version',
    })
    expect(api.calls).toEqual(['postBundle', 'listBundles'])
    expect(api.channels.has('beta')).toBe(false)
  })

  it('Capgo says it exists but does not list it: the version must be bumped', async () => {
    const api = new FakeCapgoApi().script('postBundle', { fail: http(400, 'version_already_exists') })
    await expect(registrar(api).register(request())).rejects.toMatchObject({
      code: 'capgo_version_hidden',
      bundleState: 'not-registered',
    })
  })
})

describe('Capgo policy: after the bundle is registered', () => {
  it('a channel failure says the bundle is registered (the upload must be kept)', async () => {
    const fail = { fail: http(503, undefined, '/channel') }
    const api = new FakeCapgoApi().script('postChannel', fail)
    await expect(registrar(api).register(request())).rejects.toMatchObject({
      bundleState: 'registered',
      message: expect.stringMatching(/bundle itself is registered/),
    })
  })

  it('a metadata failure is only a warning', async () => {
    const warnings: string[] = []
    const api = new FakeCapgoApi().script('postMetadata', {
      fail: http(400, 'no_fields_to_update', '/bundle/metadata'),
    })
    await expect(
      registrar(api, { warnings }).register(request({ link: 'https://example.com/run/1' })),
    ).resolves.toMatchObject({ status: 'registered' })
    expect(api.calls).toEqual(['postBundle', 'postChannel', 'postMetadata'])
    expect(warnings).toEqual([
      expect.stringMatching(
        /link\/comment .*POST \/bundle\/metadata answered HTTP 400 no_fields_to_update.*registered anyway/,
      ),
    ])
  })
})

describe('Capgo policy: look-ups', () => {
  it('finds a version on a later page and stops there', async () => {
    const api = new FakeCapgoApi()
    for (const version of ['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4'])
      api.rows.push({ id: version, name: version, checksum: `sum-${version}` })
    await expect(registrar(api).lookup(APP, '1.0.1')).resolves.toEqual({
      found: true,
      checksum: 'sum-1.0.1',
      bundleId: '1.0.1',
      externalUrl: undefined,
    })
  })

  it('bounds the paging, with a warning', async () => {
    const warnings: string[] = []
    const api = new FakeCapgoApi()
    for (let i = 0; i < 10; i++) api.rows.push({ id: i, name: `1.0.${i}` })
    await expect(registrar(api, { maxPages: 2, warnings }).lookup(APP, '1.0.0')).resolves.toEqual({ found: false })
    expect(warnings).toEqual([expect.stringMatching(/stopped looking for 1\.0\.0 after 2 pages/)])
  })

  it('without an API key every call is refused as an input error, before any call', async () => {
    const api = new FakeCapgoApi()
    await expect(registrar(api, { hasApiKey: false }).lookup(APP, '1.0.0')).rejects.toMatchObject({
      code: 'input_capgo_api_key_missing',
      stage: 'input',
    })
    await expect(registrar(api, { hasApiKey: false }).pointChannel(APP, 'beta', '1.0.0')).rejects.toMatchObject({
      stage: 'input',
    })
    expect(api.calls).toEqual([])
  })
})
