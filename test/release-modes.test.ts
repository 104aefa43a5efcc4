/**
 * Release management end to end on real parts: the loopback Swift S3 server behind an https front
 * (records take the fallback path there: Swift answers 501 to conditional PUTs), the folder store
 * (real conditional writes), the strict Capgo stand-in and the webhook receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import path from 'node:path'
import { createKeyPair, keyIdOf } from '../src/core/keys.js'
import {
  cleanup,
  createReleaseServer,
  promote,
  rollback,
  type ModeContext,
  type PublishReleaseOptions,
} from '../src/core/modes/index.js'
import { ReleaseRecords, releaseIndexKey } from '../src/core/records/index.js'
import { publish, type PublishDependencies } from '../src/core/publish.js'
import { createRegistrar, type RegistrarConfig } from '../src/core/register/index.js'
import { createStore } from '../src/core/storage/index.js'
import type { BundleStore, Logger, PublishOptions } from '../src/core/types.js'
import { startCapgoServer, type CapgoServer } from './support/capgo-server.js'
import { makeSmallApp, removeDir, tempDir } from './support/folders.js'
import { startHttpsFront, type HttpsFront } from './support/https-front.js'
import { createTestBucket, listKeys, removeTestBucket, s3TestConfig } from './support/s3.js'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js'
import { createResponder } from '../src/server/handler.js'
import type { StateReader } from '../src/server/reader.js'
import { rolloutBucket } from '../src/server/rollout.js'
import { androidInfo, post } from './support/device-requests.js'
import { renderChanges } from '../src/core/report/changes.js'

const APP = 'com.example.app'
const SECRET = 'webhook-secret-for-tests'
const keys = createKeyPair()
let work: string
let bucket: string
let front: HttpsFront
let capgo: CapgoServer
let receiver: WebhookReceiver
let app: string
let other: string

const log: Logger & { lines: string[] } = {
  lines: [],
  info(message) {
    this.lines.push(message)
  },
  warn(message) {
    this.lines.push(`warn: ${message}`)
  },
  debug() {},
}
const fast = { sleep: async () => {}, timeoutMs: 5000 }

function swift(): BundleStore {
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

function options(version: string, overrides: Partial<PublishOptions> = {}): PublishOptions {
  return {
    appId: APP,
    version,
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

interface Setup {
  store: BundleStore
  config: RegistrarConfig
  appId: string
}

function deps(setup: Setup, release: Partial<PublishReleaseOptions> = {}): PublishDependencies {
  const records = new ReleaseRecords(setup.store, setup.appId, { settleMs: 80 })
  return {
    store: setup.store,
    registrar: createRegistrar(setup.config, { ...fast, store: setup.store }),
    logger: log,
    fetch: front.fetch,
    release: { records, server: createReleaseServer(setup.config, fast), logger: log, ...release },
  }
}

function mode(setup: Setup, channel: string, run?: { runId?: string; runAttempt?: string }): ModeContext {
  return {
    appId: setup.appId,
    channel,
    records: new ReleaseRecords(setup.store, setup.appId, { settleMs: 80 }),
    server: createReleaseServer(setup.config, fast),
    logger: log,
    run,
  }
}

beforeAll(async () => {
  work = await tempDir()
  bucket = await createTestBucket('modes')
  front = await startHttpsFront({ bucket })
  capgo = await startCapgoServer({ apps: [APP, 'com.example.hosted'] })
  receiver = await startWebhookReceiver({ secret: SECRET })
  app = await makeSmallApp(path.join(work, 'app'))
  other = await makeSmallApp(path.join(work, 'other'), { 'feature.js': 'console.log("new feature")' })
})

afterAll(async () => {
  await front?.close()
  await capgo?.close()
  await receiver?.close()
  await removeTestBucket(bucket).catch(() => undefined)
  await removeDir(work)
})

describe('server: capgo, records on Swift (fallback writes)', () => {
  const setup = (): Setup => ({
    store: swift(),
    config: { kind: 'capgo', apiUrl: capgo.url, apiKey: 'test-key' },
    appId: APP,
  })
  const records = () => new ReleaseRecords(swift(), APP)

  it('first release goes straight to stable and writes the release record beside the bundle', async () => {
    const result = await publish(
      options('1.0.0'),
      deps(setup(), { rolloutPercentage: 10, run: { runId: '100', runAttempt: '1' } }),
    )
    expect(result.status).toBe('published')
    expect(result.release).toMatchObject({ changed: true, stable: '1.0.0', rollout: null, writePath: 'fallback' })
    expect(capgo.channel(APP, 'production')?.name).toBe('1.0.0')
    const release = await records().readReleaseAt(`${result.objectKey}.release.json`)
    expect(release).toMatchObject({
      schema: 1,
      appId: APP,
      version: '1.0.0',
      channels: ['production'],
      git: { runId: '100', runAttempt: '1' },
    })
    expect(release!.bundle).toMatchObject({
      key: result.objectKey,
      url: result.bundleUrl,
      checksum: result.bundle.checksum,
      sessionKey: result.bundle.sessionKey,
      sha256: result.bundle.sha256,
    })
    expect(release!.files.map((file) => file.name)).toContain('index.html')
    expect(release!.files.find((file) => file.name === 'index.html')!.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(release)).not.toContain(keys.privateKeyPem.split('\n')[1]!)
    expect(await records().readApp()).toMatchObject({ defaultChannel: 'production', channels: ['production'] })
  })

  it('a 10 % rollout leaves stable untouched, twice in a row, in at most 8 Capgo calls', async () => {
    const before = capgo.requests.length
    // As the action publishes: with the run link and commit comment.
    const linked = { webDir: other, link: 'https://github.com/acme/app/actions/runs/101', comment: 'commit abc' }
    const rolloutDeps = deps(setup(), { rolloutPercentage: 10, run: { runId: '101', runAttempt: '1' } })
    const result = await publish(options('1.1.0', linked), { ...rolloutDeps, releases: rolloutDeps.release!.records })
    const calls = capgo.requests.slice(before).map((request) => `${request.method} ${request.path}`)
    expect(calls.length).toBeLessThanOrEqual(8)
    expect(calls).toEqual(['GET /channel', 'GET /bundle', 'POST /bundle', 'POST /channel', 'POST /bundle/metadata'])
    const pointed = capgo.requests.find(
      (request, index) => index >= before && request.path === '/channel' && request.method === 'POST',
    )!
    expect(pointed.body).toEqual({
      app_id: APP,
      channel: 'production',
      rolloutVersion: '1.1.0',
      rolloutPercentageBps: 1000,
      rolloutEnabled: true,
      rolloutPaused: false,
    })
    expect(result.release).toMatchObject({ stable: '1.0.0', rollout: { version: '1.1.0', percentage: 10 } })
    // "What changed" says the same (the action reads the records for it: `releases`).
    expect(result.changes?.rollout).toEqual({ percentage: 10, stableVersion: '1.0.0' })
    expect(renderChanges(result.changes!)).toContain('| Rollout | 10 % of devices get 1.1.0; the rest stay on 1.0.0 |')
    expect(capgo.channel(APP, 'production')?.name).toBe('1.0.0')
    expect(capgo.rollout(APP, 'production')).toMatchObject({ bundle: { name: '1.1.0' }, percentage: 10 })

    const again = await publish(
      options('1.1.0', { webDir: other }),
      deps(setup(), { rolloutPercentage: 10, run: { runId: '101', runAttempt: '2' } }),
    )
    expect(again.status).toBe('already-published')
    expect(again.release).toMatchObject({
      changed: false,
      stable: '1.0.0',
      rollout: { version: '1.1.0', percentage: 10 },
    })
    expect(capgo.channel(APP, 'production')?.name).toBe('1.0.0')
    expect((await records().readChannel('production'))!.revision).toBe(2)
  })

  it('promote makes the rollout stable; a second promote is green and changes nothing', async () => {
    const first = await promote(mode(setup(), 'production', { runId: '200', runAttempt: '1' }))
    expect(first).toMatchObject({ changed: true, stable: '1.1.0', rollout: null, previousStable: '1.0.0' })
    expect(capgo.channel(APP, 'production')?.name).toBe('1.1.0')
    expect(capgo.rollout(APP, 'production')).toBeUndefined()
    const before = capgo.requests.length
    const second = await promote(mode(setup(), 'production', { runId: '201', runAttempt: '1' }))
    expect(second).toMatchObject({ changed: false, stable: '1.1.0' })
    expect(second.note).toContain('nothing to promote')
    expect(capgo.requests.slice(before).map((r) => r.method)).toEqual(['GET'])
    expect((await records().readChannel('production'))!.history.map((entry) => entry.version)).toEqual(['1.0.0'])
  })

  it('rollback returns to the previous stable; the same run re-attempted never rolls back twice', async () => {
    const first = await rollback(mode(setup(), 'production', { runId: '300', runAttempt: '1' }))
    expect(first).toMatchObject({ changed: true, stable: '1.0.0', previousStable: '1.1.0' })
    expect(capgo.channel(APP, 'production')?.name).toBe('1.0.0')
    const before = capgo.requests.length
    const second = await rollback(mode(setup(), 'production', { runId: '300', runAttempt: '2' }))
    expect(second).toMatchObject({ changed: false, stable: '1.0.0' })
    expect(capgo.requests.slice(before).filter((r) => r.method === 'POST')).toEqual([])
    const toStable = await rollback(mode(setup(), 'production', { runId: '301', runAttempt: '1' }), '1.0.0')
    expect(toStable).toMatchObject({ changed: false, stable: '1.0.0' })
    await expect(rollback(mode(setup(), 'production', { runId: '302' }), '9.9.9')).rejects.toMatchObject({
      code: 'input_release_version_unknown',
      input: 'version',
    })
  })

  it("when Capgo points elsewhere than the record, says so and uses Capgo's version", async () => {
    // Someone moved the channel in Capgo's console.
    const row = capgo.bundlesOf(APP).find((bundle) => bundle.name === '1.1.0')!
    capgo.channels.find((channel) => channel.name === 'production')!.version = row.id
    log.lines.length = 0
    const result = await rollback(mode(setup(), 'production', { runId: '400', runAttempt: '1' }), '1.0.0')
    expect(
      log.lines.some(
        (line) =>
          line.startsWith('warn:') &&
          line.includes("Capgo's channel 'production' has stable 1.1.0") &&
          line.includes('stable 1.0.0'),
      ),
    ).toBe(true)
    expect(result).toMatchObject({ changed: true, stable: '1.0.0', previousStable: '1.1.0' })
    expect(capgo.channel(APP, 'production')?.name).toBe('1.0.0')
  })

  it('preview publish then cleanup leaves no channel, record or object of that PR, keeps shared ones; twice', async () => {
    const pr = await publish(
      options('1.1.0-pr.7.1', { channel: 'pr-7', webDir: other }),
      deps(setup(), { preview: { pullRequest: 7 } }),
    )
    expect(pr.status).toBe('published')
    // A release shared with production joins the preview channel too.
    const shared = await publish(options('1.0.0', { channel: 'pr-7' }), deps(setup(), { preview: { pullRequest: 7 } }))
    expect(shared.status).toBe('already-published')
    expect(capgo.channel(APP, 'pr-7')?.name).toBe('1.0.0')
    expect(capgo.channels.find((channel) => channel.name === 'pr-7')!.allow_device_self_set).toBe(true)
    const app = await records().readApp()
    expect(app).toMatchObject({ defaultChannel: 'production', channels: ['production', 'pr-7'] })

    const sharedKey = (await records().readRelease('1.0.0'))!.key
    const outcome = await cleanup(mode(setup(), 'pr-7'))
    expect(outcome).toMatchObject({
      changed: true,
      cleanup: { deletedVersions: ['1.1.0-pr.7.1'], keptVersions: ['1.0.0'] },
    })
    expect(capgo.channels.find((channel) => channel.name === 'pr-7')).toBeUndefined()
    expect(capgo.bundlesOf(APP).map((bundle) => bundle.name)).not.toContain('1.1.0-pr.7.1')
    expect(capgo.bundlesOf(APP).map((bundle) => bundle.name)).toContain('1.0.0')
    expect(await listKeys(bucket, `${APP}/1.1.0-pr.7.1/`)).toEqual([])
    expect(await listKeys(bucket, releaseIndexKey(APP, '1.1.0-pr.7.1'))).toEqual([])
    expect(await listKeys(bucket, `live-update/${APP}/channels/pr-7`)).toEqual([])
    expect((await records().readApp())!.channels).toEqual(['production'])
    expect((await records().readReleaseAt(sharedKey))!.channels).toEqual(['production'])
    expect((await listKeys(bucket, `${APP}/1.0.0/`)).length).toBe(2)

    const again = await cleanup(mode(setup(), 'pr-7'))
    expect(again).toMatchObject({ changed: false })
    await expect(cleanup(mode(setup(), 'production'))).rejects.toMatchObject({ code: 'release_cleanup_not_preview' })
  })
  it('records that failed right after registering are rebuilt by the re-run (found by the registered URL)', async () => {
    const store = swift()
    // A bucket that refuses to write release records: the publish registers, then fails at stage records.
    const failing: BundleStore = Object.assign(Object.create(Object.getPrototypeOf(store)) as BundleStore, store, {
      putJson: (key: string, value: unknown, condition?: Parameters<BundleStore['putJson']>[2]) =>
        key.endsWith('.release.json')
          ? Promise.reject(new Error('injected: the records write failed'))
          : store.putJson(key, value, condition),
    })
    const failed = await publish(options('1.2.0'), deps({ ...setup(), store: failing })).catch(
      (error: unknown) => error,
    )
    expect(failed).toMatchObject({ stage: 'records' })
    expect(capgo.bundlesOf(APP).map((bundle) => bundle.name)).toContain('1.2.0')
    expect(await records().readRelease('1.2.0')).toBeUndefined()
    log.lines.length = 0
    const rerun = await publish(options('1.2.0'), deps(setup(), { releaseWaitMs: 0 }))
    expect(rerun.status).toBe('already-published')
    expect(rerun.release).toMatchObject({ changed: true, stable: '1.2.0' })
    expect(log.lines.some((line) => line.includes('rebuilt it'))).toBe(true)
    const rebuilt = await records().readRelease('1.2.0')
    const row = capgo.bundlesOf(APP).find((bundle) => bundle.name === '1.2.0')!
    expect(rebuilt!.record.bundle).toMatchObject({
      url: row.external_url,
      sessionKey: row.session_key,
      checksum: row.checksum,
    })
  })
})

describe('server: webhook, records in the folder store (conditional writes)', () => {
  const setup = (): Setup => ({
    store: createStore({ kind: 'dir', dir: path.join(work, 'hooked') }),
    config: { kind: 'webhook', url: receiver.url, secret: SECRET },
    appId: APP,
  })

  it('carries the rollout in bundle.published and sends signed channel.promoted / rolled_back / deleted events', async () => {
    await publish(options('1.0.0'), deps(setup()))
    const rolled = await publish(options('1.1.0', { webDir: other }), deps(setup(), { rolloutPercentage: 25 }))
    expect(rolled.release).toMatchObject({
      stable: '1.0.0',
      rollout: { version: '1.1.0', percentage: 25 },
      writePath: 'conditional',
    })
    expect(receiver.events.get(`${APP}@1.1.0`)).toMatchObject({ rollout: { percentage: 25 } })
    expect(receiver.events.get(`${APP}@1.0.0`)).toMatchObject({ rollout: null })

    expect(await promote(mode(setup(), 'production', { runId: '1' }))).toMatchObject({ changed: true, stable: '1.1.0' })
    expect(await promote(mode(setup(), 'production', { runId: '2' }))).toMatchObject({ changed: false })
    expect(await rollback(mode(setup(), 'production', { runId: '3', runAttempt: '1' }))).toMatchObject({
      changed: true,
      stable: '1.0.0',
    })
    expect(await rollback(mode(setup(), 'production', { runId: '3', runAttempt: '2' }))).toMatchObject({
      changed: false,
    })
    await publish(
      options('1.2.0-pr.9.4', { channel: 'pr-9', webDir: other }),
      deps(setup(), { preview: { pullRequest: 9 } }),
    )
    expect(await cleanup(mode(setup(), 'pr-9'))).toMatchObject({
      changed: true,
      cleanup: { deletedVersions: ['1.2.0-pr.9.4'] },
    })
    expect(await cleanup(mode(setup(), 'pr-9'))).toMatchObject({ changed: false })

    const events = receiver.all.filter((event) => String(event.event).startsWith('channel.'))
    expect(events.map((event) => [event.event, event.version ?? event.versions])).toEqual([
      ['channel.promoted', '1.1.0'],
      ['channel.rolled_back', '1.0.0'],
      ['channel.deleted', ['1.2.0-pr.9.4']],
    ])
    expect(events[0]).toMatchObject({
      appId: APP,
      channel: 'production',
      from: '1.0.0',
      release: { version: '1.1.0', checksum: rolled.bundle.checksum, sessionKey: rolled.bundle.sessionKey },
    })
    // The receiver verified each signature (it answers 401 otherwise).
    expect(receiver.requests.every((request) => request.status === 200)).toBe(true)
  })
})

describe('server: self-hosted (records only)', () => {
  const setup = (): Setup => ({ store: swift(), config: { kind: 'self-hosted' }, appId: 'com.example.hosted' })
  const hosted = (overrides: Partial<PublishOptions>) => ({ appId: 'com.example.hosted', ...overrides })

  it('publish flips the channel record after upload and verification; all modes work; a re-run uploads nothing', async () => {
    const first = await publish(options('2.0.0', hosted({})), deps(setup()))
    expect(first.release).toMatchObject({ stable: '2.0.0' })
    const second = await publish(options('2.1.0', hosted({ webDir: other })), deps(setup(), { rolloutPercentage: 0.5 }))
    expect(second.release).toMatchObject({ stable: '2.0.0', rollout: { version: '2.1.0', percentage: 0.5 } })
    const channel = await new ReleaseRecords(swift(), 'com.example.hosted').readChannel('production')
    // What the responder serves: everything a device needs, for both.
    expect(channel!.rollout!.release).toMatchObject({
      version: '2.1.0',
      url: second.bundleUrl,
      sessionKey: second.bundle.sessionKey,
      checksum: second.bundle.checksum,
      keyId: second.bundle.keyId,
    })

    const keysBefore = await listKeys(bucket, 'com.example.hosted/')
    const rerun = await publish(options('2.1.0', hosted({ webDir: other })), deps(setup(), { rolloutPercentage: 0.5 }))
    expect(rerun.status).toBe('already-published')
    expect(await listKeys(bucket, 'com.example.hosted/')).toEqual(keysBefore)

    expect(await promote(mode(setup(), 'production', { runId: 'a' }))).toMatchObject({ changed: true, stable: '2.1.0' })
    expect(await rollback(mode(setup(), 'production', { runId: 'b' }))).toMatchObject({
      changed: true,
      stable: '2.0.0',
    })
    expect(await rollback(mode(setup(), 'production', { runId: 'c' }), '2.1.0')).toMatchObject({
      changed: true,
      stable: '2.1.0',
    })
  })

  it('the responder serves devices from these records: stable, a 1 % rollout, the promoted rollout, the rollback', async () => {
    const store = swift()
    // The responder reads the bucket's objects as text, exactly as the action wrote them.
    const reader: StateReader = {
      describe: () => 'bucket',
      read: async (key) => {
        const found = await store.getJson(key)
        return found ? JSON.stringify(found.value) : null
      },
    }
    const responder = createResponder({ reader, cacheTtlMs: 0 })
    // Two devices: one inside a 1 % rollout of 2.3.0, one outside (sticky: a hash of id and version).
    const ids = Array.from({ length: 400 }, (_, index) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`)
    const buckets = await Promise.all(ids.map((id) => rolloutBucket(id, '2.3.0')))
    const inside = ids[buckets.findIndex((bucket) => bucket < 100)]!
    const outside = ids[buckets.findIndex((bucket) => bucket >= 100)]!
    const ask = async (deviceId = outside) => {
      const device = androidInfo({
        app_id: 'com.example.hosted',
        device_id: deviceId,
        key_id: keyIdOf(keys.publicKeyPem),
        version_name: 'builtin',
        version_build: '1.0.0',
      })
      const init = post(device, { 'content-type': 'application/json' })
      const response = await responder.fetch(
        new Request('http://responder/updates', { method: 'POST', headers: init.headers, body: init.body as string }),
      )
      return (await response.json()) as Record<string, unknown>
    }
    const records = new ReleaseRecords(store, 'com.example.hosted')
    const stable = (await records.readChannel('production'))!.stable!
    expect(await ask()).toMatchObject({
      version: stable.version,
      url: stable.url,
      session_key: stable.sessionKey,
      checksum: stable.checksum,
    })
    await publish(options('2.3.0', hosted({ webDir: app })), deps(setup(), { rolloutPercentage: 1 }))
    expect((await ask(outside)).version).toBe(stable.version)
    expect((await ask(inside)).version).toBe('2.3.0')
    await promote(mode(setup(), 'production', { runId: 'serve-1' }))
    expect((await ask()).version).toBe('2.3.0')
    await rollback(mode(setup(), 'production', { runId: 'serve-2' }))
    expect((await ask()).version).toBe(stable.version)
  })

  it('a failed verification leaves the channel record where it was', async () => {
    const store = swift()
    const broken: BundleStore = {
      ...store,
      describe: () => store.describe(),
      publicUrl: (key) => `${front.origin}/missing/${key}`,
      put: (key, body) => store.put(key, body).then((stored) => ({ ...stored, url: `${front.origin}/missing/${key}` })),
      exists: (k) => store.exists(k),
      size: (k) => store.size(k),
      delete: (k) => store.delete(k),
      getJson: (k) => store.getJson(k),
      putJson: (k, v, c) => store.putJson(k, v, c),
      list: (p) => store.list(p),
    }
    const before = await new ReleaseRecords(store, 'com.example.hosted').readChannel('production')
    await expect(
      publish(options('2.2.0', hosted({ webDir: other })), deps({ ...setup(), store: broken })),
    ).rejects.toMatchObject({ stage: 'verify' })
    expect(await new ReleaseRecords(store, 'com.example.hosted').readChannel('production')).toEqual(before)
  })
})

describe.each([
  ['Swift (fallback)', () => swift()],
  ['folder store (conditional)', () => createStore({ kind: 'dir', dir: path.join(work, `race-${Date.now()}`) })],
])('concurrent publishes, %s', (_name, make) => {
  it('two publishes to two channels and two to one channel leave consistent channel records', async () => {
    const store = make()
    const appId = `com.example.race${Math.random().toString(36).slice(2, 6)}`
    const setup: Setup = { store, config: { kind: 'none' }, appId }
    // The fallback's settle time must exceed a writer's read-to-write gap, also on a busy machine.
    const run = (version: string, channel: string, webDir = app) =>
      publish(
        options(version, { appId, channel, webDir }),
        deps(setup, { records: new ReleaseRecords(store, appId, { settleMs: 500 }) }),
      )
    const results = await Promise.all([
      run('1.0.0', 'alpha'),
      run('1.0.1', 'beta', other),
      run('2.0.0', 'production'),
      run('2.0.1', 'production', other),
    ])
    expect(results.map((result) => result.status)).toEqual(['published', 'published', 'published', 'published'])
    const records = new ReleaseRecords(store, appId)
    expect((await records.readChannel('alpha'))!.stable!.version).toBe('1.0.0')
    expect((await records.readChannel('beta'))!.stable!.version).toBe('1.0.1')
    const production = (await records.readChannel('production'))!
    expect(production.operations.map((op) => op.version).sort()).toEqual(['2.0.0', '2.0.1'])
    expect([production.stable!.version, ...production.history.map((entry) => entry.version)].sort()).toEqual([
      '2.0.0',
      '2.0.1',
    ])
    expect(production.revision).toBe(2)
    expect((await records.readApp())!.channels.sort()).toEqual(['alpha', 'beta', 'production'])
  }, 60_000)
})
