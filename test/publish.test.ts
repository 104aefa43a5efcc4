import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { createKeyPair } from '../src/core/keys.js'
import { publish, PublishFailure, type PublishDependencies } from '../src/core/publish.js'
import { createRegistrar } from '../src/core/register/index.js'
import { createStore } from '../src/core/storage/index.js'
import type { Logger, PublishOptions } from '../src/core/types.js'
import { verifyBundle } from '../src/core/verify.js'
import { startCapgoServer, type CapgoServer } from './support/capgo-server.js'
import { makeSmallApp, removeDir, tempDir, writeTree } from './support/folders.js'
import { startHttpsFront, type HttpsFront } from './support/https-front.js'
import { createTestBucket, listKeys, listUploads, removeTestBucket, s3TestConfig } from './support/s3.js'
import { startWebhookReceiver } from './support/webhook-receiver.js'

const APP = 'com.example.app'
const keys = createKeyPair()
let work: string
let bucket: string
let front: HttpsFront
let capgo: CapgoServer
let app: string

const quiet: Logger & { lines: string[] } = {
  lines: [],
  info(message) {
    this.lines.push(message)
  },
  warn(message) {
    this.lines.push(`warn: ${message}`)
  },
  debug() {},
}

function s3Store() {
  const s3 = s3TestConfig()
  return createStore({
    kind: 's3',
    bucket,
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    publicUrlTemplate: front.urlTemplate,
    partSizeMiB: 5,
  })
}

function capgoDeps(): PublishDependencies {
  return {
    store: s3Store(),
    registrar: createRegistrar(
      { kind: 'capgo', apiUrl: capgo.url, apiKey: 'test-key' },
      { sleep: async () => {}, timeoutMs: 5000 },
    ),
    logger: quiet,
    fetch: front.fetch,
  }
}

function options(overrides: Partial<PublishOptions> = {}): PublishOptions {
  return {
    appId: APP,
    version: '1.0.0',
    channel: 'production',
    webDir: app,
    privateKeyPem: keys.privateKeyPem,
    publicKeyPem: keys.publicKeyPem,
    requireNotifyAppReady: true,
    objectKeyTemplate: '{appId}/{version}/{hash}.zip',
    verifyUpload: true,
    dryRun: false,
    tempDir: work,
    ...overrides,
  }
}

beforeAll(async () => {
  work = await tempDir()
  bucket = await createTestBucket('publish')
  front = await startHttpsFront({ bucket })
  capgo = await startCapgoServer({ apps: [APP, 'com.example.other', 'com.example.race', 'com.example.big'] })
  app = await makeSmallApp(path.join(work, 'app'))
})

afterAll(async () => {
  await front?.close()
  await capgo?.close()
  await removeTestBucket(bucket).catch(() => undefined)
  await removeDir(work)
})

describe('publish with Capgo and S3', () => {
  it('uploads, verifies through the https front like a device, and registers exactly the fields', async () => {
    const result = await publish(options(), capgoDeps())
    expect(result.status).toBe('published')
    expect(result.bundleUrl).toBe(`${front.origin}/${result.objectKey}`)
    expect(result.objectKey).toMatch(new RegExp(`^${APP}/1\\.0\\.0/[0-9a-f]{16}\\.zip$`))
    // The device-like download went through the https front.
    expect(front.requests).toContain(`/${result.objectKey}`)

    const post = capgo.requests.find((request) => request.method === 'POST' && request.path === '/bundle')!
    expect(post.auth).toEqual({ header: 'authorization', known: true })
    expect(post.body).toEqual({
      app_id: APP,
      version: '1.0.0',
      external_url: result.bundleUrl,
      checksum: result.bundle.checksum,
      session_key: result.bundle.sessionKey,
      key_id: result.bundle.keyId,
      signature: result.bundle.signature,
    })
    expect(result.bundle.checksum).toMatch(/^[0-9a-f]{512}$/)
    expect(capgo.channel(APP, 'production')?.name).toBe('1.0.0')
    expect(await listKeys(bucket, `${APP}/1.0.0/`)).toEqual([result.objectKey])

    // What was registered is what a device accepts.
    const report = await verifyBundle({
      source: result.bundleUrl!,
      sessionKey: result.bundle.sessionKey,
      checksum: result.bundle.checksum,
      publicKeyPem: keys.publicKeyPem,
      fetch: front.fetch,
    })
    expect(report.ok).toBe(true)
  })

  // Each test publishes its own version first: none depends on another having run.
  it('a re-run of the same version and content is green, already published, and uploads nothing', async () => {
    await publish(options({ version: '1.1.0' }), capgoDeps())
    const before = await listKeys(bucket, `${APP}/1.1.0/`)
    const bundlesBefore = capgo.bundlesOf(APP).length
    const result = await publish(options({ version: '1.1.0', channel: 'beta' }), capgoDeps())
    expect(result.status).toBe('already-published')
    expect(await listKeys(bucket, `${APP}/1.1.0/`)).toEqual(before)
    expect(capgo.bundlesOf(APP).length).toBe(bundlesBefore)
    expect(capgo.channel(APP, 'beta')?.name).toBe('1.1.0')
  })

  it('the same version with other content fails, names the version, registers and leaves nothing', async () => {
    await publish(options({ version: '1.2.0' }), capgoDeps())
    const other = await makeSmallApp(path.join(work, 'other'), { 'extra.js': 'console.log("changed")' })
    const before = await listKeys(bucket)
    const bundlesBefore = capgo.bundlesOf(APP).length
    const error = await publish(options({ version: '1.2.0', webDir: other }), capgoDeps()).catch(
      (failure: unknown) => failure,
    )
    expect(error).toBeInstanceOf(PublishFailure)
    expect((error as PublishFailure).stage).toBe('lookup')
    expect((error as PublishFailure).message).toMatch(/already registered with different content.*bump \{\{version\}\}/)
    expect(await listKeys(bucket)).toEqual(before)
    expect(capgo.bundlesOf(APP).length).toBe(bundlesBefore)
  })

  it('two legs publishing the same version at once: both green, one bundle, both channels, no orphan', async () => {
    const race = { appId: 'com.example.race', version: '2.0.0' }
    const [a, b] = await Promise.all([
      publish(options({ ...race, channel: 'production' }), capgoDeps()),
      publish(options({ ...race, channel: 'beta' }), capgoDeps()),
    ])
    expect([a.status, b.status].sort()).toEqual(['already-published', 'published'])
    expect(capgo.bundlesOf(race.appId)).toHaveLength(1)
    const registered = capgo.bundlesOf(race.appId)[0]
    expect(capgo.channel(race.appId, 'production')?.id).toBe(registered.id)
    expect(capgo.channel(race.appId, 'beta')?.id).toBe(registered.id)
    expect(await listKeys(bucket, `${race.appId}/`)).toEqual([new URL(registered.external_url!).pathname.slice(1)])
    expect(await listUploads(bucket)).toEqual([])
  })

  it('when registration keeps failing after the upload, nothing is registered and the object is deleted', async () => {
    capgo.fail({
      method: 'POST',
      path: '/bundle',
      status: 500,
      times: 100,
      body: { error: 'internal_error', message: 'boom' },
    })
    const error = await publish(options({ appId: 'com.example.other', version: '3.0.0' }), capgoDeps()).catch(
      (failure: unknown) => failure,
    )
    capgo.clearFaults()
    expect(error).toBeInstanceOf(PublishFailure)
    expect((error as PublishFailure).stage).toBe('register')
    expect(capgo.bundlesOf('com.example.other')).toHaveLength(0)
    expect(await listKeys(bucket, 'com.example.other/')).toEqual([])
  })

  it('round-trips a bundle of more than 64 MB through the real server and the device check', async () => {
    const big = await writeTree(path.join(work, 'big'), {
      'index.html': '<html></html>',
      'app.js': 'CapacitorUpdater.notifyAppReady()',
      ...Object.fromEntries(
        Array.from({ length: 9 }, (_, i) => [`media/clip${i}.mp4`, randomBytes(7.5 * 1024 * 1024)]),
      ),
    })
    const result = await publish(options({ appId: 'com.example.big', version: '1.0.0', webDir: big }), capgoDeps())
    expect(result.status).toBe('published')
    expect(result.bundle.encryptedSize).toBeGreaterThan(64 * 1024 * 1024)
    expect(capgo.bundlesOf('com.example.big')).toHaveLength(1)
    await removeDir(big)
  })

  it('a verification failure deletes the upload and registers nothing', async () => {
    const deps = capgoDeps()
    // A CDN that serves something else than what was uploaded.
    deps.fetch = async () => new Response(randomBytes(4096), { status: 200 })
    const error = await publish(options({ appId: 'com.example.other', version: '5.0.0' }), deps).catch(
      (failure: unknown) => failure,
    )
    expect((error as PublishFailure).stage).toBe('verify')
    expect((error as Error).message).toMatch(/device would reject/)
    expect(capgo.bundlesOf('com.example.other')).toHaveLength(0)
    expect(await listKeys(bucket, 'com.example.other/')).toEqual([])
  })
})

describe('publish with other registrars', () => {
  it('webhook: the receiver gets a signed document it verifies', async () => {
    const receiver = await startWebhookReceiver({ secret: 'hook-secret' })
    try {
      const deps = capgoDeps()
      deps.registrar = createRegistrar(
        { kind: 'webhook', url: receiver.url, secret: 'hook-secret' },
        { sleep: async () => {} },
      )
      const result = await publish(options({ version: '6.0.0' }), deps)
      expect(result.status).toBe('published')
      expect(receiver.requests.map((request) => request.status)).toEqual([200])
      expect(JSON.parse(receiver.requests[0].rawBody)).toMatchObject({
        event: 'bundle.published',
        appId: APP,
        version: '6.0.0',
        externalUrl: result.bundleUrl,
        checksum: result.bundle.checksum,
        sessionKey: result.bundle.sessionKey,
      })
    } finally {
      await receiver.close()
    }
  })

  it('dry run makes and verifies the bundle locally and touches neither storage nor server', async () => {
    const before = await listKeys(bucket)
    const requests = capgo.requests.length
    const result = await publish(options({ version: '7.0.0', dryRun: true }), capgoDeps())
    expect(result.status).toBe('dry-run')
    expect(result.timings.map((timing) => timing.stage)).toEqual(['keys', 'bundle', 'verify'])
    expect(await listKeys(bucket)).toEqual(before)
    expect(capgo.requests.length).toBe(requests)
  })

  it('refuses a public key that does not match before bundling', async () => {
    const other = createKeyPair()
    const error = await publish(
      options({
        publicKeyPem: other.publicKeyPem,
        publicKeySource: 'capacitor.config.json plugins.CapacitorUpdater.publicKey',
        dryRun: true,
      }),
      capgoDeps(),
    ).catch((failure: unknown) => failure)
    expect((error as PublishFailure).stage).toBe('keys')
    expect((error as Error).message).toMatch(/capacitor\.config\.json/)
  })
})
