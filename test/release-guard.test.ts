/**
 * The release guard inside a real publish (loopback S3 behind an https front, the strict Capgo
 * stand-in, the webhook receiver): a native plugin bump is refused by default with the package
 * named and nothing uploaded, `accept` publishes and records the baseline, the next publish passes;
 * a version below the native version is refused before any work; "what changed" names an added and
 * a changed file with their sizes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { createKeyPair } from '../src/core/keys.js'
import { channelRecordKey, publicRecordsReader } from '../src/core/native/public-reader.js'
import type { NativeCompatibilityMode } from '../src/core/native/compare.js'
import { publish, PublishFailure, type PublishDependencies } from '../src/core/publish.js'
import { createRegistrar } from '../src/core/register/index.js'
import { renderChanges } from '../src/core/report/changes.js'
import { renderReport } from '../src/core/report.js'
import { createStore } from '../src/core/storage/index.js'
import type { Logger, PublishOptions, PublishResult } from '../src/core/types.js'
import { startCapgoServer, type CapgoServer } from './support/capgo-server.js'
import { makeSmallApp, removeDir, tempDir, writeTree } from './support/folders.js'
import { startHttpsFront, type HttpsFront } from './support/https-front.js'
import { MemoryRecords } from './support/memory-records.js'
import { makeNativeProject } from './support/native-project.js'
import { createTestBucket, createTestClient, listKeys, removeTestBucket, s3TestConfig } from './support/s3.js'
import { startWebhookReceiver } from './support/webhook-receiver.js'

const APP = 'com.example.guarded'
const keys = createKeyPair()
let work: string
let bucket: string
let front: HttpsFront
let capgo: CapgoServer
let project: string
let web: string
const records = new MemoryRecords()

const logger: Logger & { lines: string[] } = {
  lines: [],
  info(message) {
    this.lines.push(message)
  },
  warn(message) {
    this.lines.push(`warn: ${message}`)
  },
  debug() {},
}

function deps(
  registrar = createRegistrar(
    { kind: 'capgo', apiUrl: capgo.url, apiKey: 'test-key' },
    { sleep: async () => {}, timeoutMs: 5000 },
  ),
): PublishDependencies {
  const s3 = s3TestConfig()
  const store = createStore({
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
  return { store, registrar, logger, fetch: front.fetch, releases: records }
}

function options(version: string, mode: NativeCompatibilityMode = 'fail', nativeVersion?: string): PublishOptions {
  return {
    appId: APP,
    version,
    channel: 'production',
    webDir: web,
    privateKeyPem: keys.privateKeyPem,
    publicKeyPem: keys.publicKeyPem,
    requireNotifyAppReady: true,
    objectKeyTemplate: '{appId}/{version}/{hash}.zip',
    verifyUpload: true,
    dryRun: false,
    tempDir: work,
    native: { mode, workingDirectory: project, nativeVersion },
  }
}

async function published(
  version: string,
  mode?: NativeCompatibilityMode,
  registrar?: PublishDependencies['registrar'],
): Promise<PublishResult> {
  const result = await publish(options(version, mode), deps(registrar))
  expect(result.status).toBe('published')
  records.record(result)
  return result
}

async function refused(run: Promise<PublishResult>): Promise<PublishFailure> {
  const error = await run.catch((failure: unknown) => failure)
  expect(error).toBeInstanceOf(PublishFailure)
  return error as PublishFailure
}

const bumpPlugin = (version: string) =>
  writeTree(path.join(project, 'node_modules/plugin-full'), {
    'package.json': JSON.stringify({ name: 'plugin-full', version, capacitor: { ios: {}, android: {} } }),
  })

beforeAll(async () => {
  work = await tempDir('live-update-guard-')
  bucket = await createTestBucket('guard')
  front = await startHttpsFront({ bucket })
  capgo = await startCapgoServer({ apps: [APP] })
  project = (await makeNativeProject(path.join(work, 'project'))).app
  web = await makeSmallApp(path.join(project, 'dist'))
})

afterAll(async () => {
  await front?.close()
  await capgo?.close()
  await removeTestBucket(bucket).catch(() => undefined)
  await removeDir(work)
})

describe('native compatibility inside publish', () => {
  it('first release: nothing to compare, said so; the fingerprint is in the result', async () => {
    const first = await published('1.0.0')
    expect(first.native?.verdict).toEqual({
      status: 'first-release',
      reason: expect.stringContaining('first release on this channel'),
    })
    expect(first.native?.fingerprint?.packages.map((p) => p.name)).toEqual([
      'plugin-full',
      'cordova-plugin',
      'hoisted-plugin',
    ])
    expect(renderChanges(first.changes!)).toContain('First release on production: nothing to compare')
  })

  it('a native plugin bump is refused by default, naming the package old → new, before anything is uploaded', async () => {
    await bumpPlugin('1.3.0')
    const requests = capgo.requests.length
    const failure = await refused(publish(options('1.1.0'), deps()))
    expect(failure.cause).toMatchObject({ code: 'native_plugins_incompatible', input: 'native-compatibility' })
    expect(failure.message).toMatch(
      /since 1\.0\.0 on channel 'production'[\s\S]*plugin-full: version 1\.2\.3 → 1\.3\.0/,
    )
    expect(failure.timings).toEqual([])
    expect(capgo.requests.length).toBe(requests)
    expect(await listKeys(bucket, `${APP}/1.1.0/`)).toEqual([])
  })

  it('accept publishes and records the new baseline (with the native floor); the next publish passes', async () => {
    await writeTree(project, { 'android/app/build.gradle': 'android { defaultConfig { versionName "1.1.0" } }\n' })
    const accepted = await published('1.1.0', 'accept')
    expect(accepted.native?.verdict.status).toBe('accepted')
    expect(accepted.native?.baseline).toEqual({ nativeBaseline: accepted.native!.fingerprint, nativeFloor: '1.1.0' })
    expect(accepted.native?.minNativeVersion).toBe('1.1.0')
    expect(records.channels.get('production')?.nativeBaseline?.packages[0]).toMatchObject({
      name: 'plugin-full',
      version: '1.3.0',
    })
    expect(logger.lines).toContain(
      "Native compatibility: accepted 1 native change(s); this fingerprint becomes the channel's baseline.",
    )

    const next = await published('1.1.1', 'fail')
    expect(next.native?.verdict).toMatchObject({ status: 'compatible', changes: [] })
  })

  it('native-version above the bundle version is refused before any work', async () => {
    await writeTree(project, { 'android/app/build.gradle': 'android { defaultConfig { versionName "2.0.0" } }\n' })
    const requests = capgo.requests.length
    const failure = await refused(publish(options('1.2.0'), deps()))
    expect(failure.cause).toMatchObject({ code: 'native_version_below', input: 'version' })
    expect(failure.message).toMatch(
      /1\.2\.0 is below the app's native version 2\.0\.0 \(from android\/app\/build\.gradle\)/,
    )
    expect(failure.timings).toEqual([])
    expect(capgo.requests.length).toBe(requests)
    // An explicit native-version wins over the detected one; a prerelease at it passes.
    expect((await publish(options('2.0.0-beta.1', 'fail', '2.0.0'), deps())).status).toBe('published')
    await writeTree(project, { 'android/app/build.gradle': 'android { defaultConfig { versionName "1.1.0" } }\n' })
  })

  it('"what changed" names an added and a changed file with correct sizes (webhook server)', async () => {
    await writeFile(path.join(web, 'css/site.css'), 'body { margin: 1px }\n'.repeat(80))
    await writeTree(web, { 'js/new-chunk.js': 'export const x = 1\n'.repeat(100) })
    const receiver = await startWebhookReceiver({ secret: 'hook-secret' })
    try {
      const registrar = createRegistrar(
        { kind: 'webhook', url: receiver.url, secret: 'hook-secret' },
        { sleep: async () => {} },
      )
      const result = await published('1.2.0', 'fail', registrar)
      const changes = result.changes!
      expect(changes.previousVersion).toBe('1.1.1')
      expect(changes.files.largest).toEqual(
        expect.arrayContaining([
          { name: 'js/new-chunk.js', kind: 'added', before: null, after: 1900, delta: 1900 },
          { name: 'css/site.css', kind: 'changed', before: 950, after: 1680, delta: 730 },
        ]),
      )
      expect(changes.files).toMatchObject({ added: 1, changed: 1, removed: 0 })
      const markdown = renderChanges(changes)
      expect(markdown).toContain('#### Changes since 1.1.1 on production')
      expect(markdown).toContain('| `js/new-chunk.js` | added | — | 1.9 KiB | +1.9 KiB |')
      expect(markdown).toContain('| `css/site.css` | changed | 950 B | 1.6 KiB | +730 B |')
      expect(markdown).toContain('xychart-beta')
      // In the report, right after the verdict.
      const report = renderReport({
        appId: APP,
        version: '1.2.0',
        channel: 'production',
        dryRun: false,
        server: 'webhook',
        storage: 's3',
        result,
        changes: markdown,
      })
      const lines = report.split('\n')
      const changesAt = lines.indexOf('#### Changes since 1.1.1 on production')
      expect(changesAt).toBeGreaterThan(0)
      expect(lines.slice(0, changesAt).filter((line) => line.trim() !== '').length).toBeLessThanOrEqual(2)
      expect(report.length).toBeLessThan(65_536)
      expect(receiver.requests).toHaveLength(1)
      // The channel's native floor (set by the accept above) travels with the bundle.
      expect(JSON.parse(receiver.requests[0]!.rawBody)).toMatchObject({
        minNativeVersion: '1.1.0',
        signature: result.bundle.signature,
      })
    } finally {
      await receiver.close()
    }
  })
})

describe('the records read through their public URLs (COMMON.md keys)', () => {
  it("a channel's records written in the bucket are read back and the guard refuses against them", async () => {
    const client = createTestClient()
    const put = (key: string, value: unknown) =>
      client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(value),
          ContentType: 'application/json',
        }),
      )
    const recordKey = `${APP}/0.9.0/0123456789abcdef.zip.release.json`
    await put(recordKey, {
      schema: 1,
      appId: APP,
      version: '0.9.0',
      channels: ['beta'],
      createdAt: '2026-12-01T00:00:00Z',
      bundle: {
        key: `${APP}/0.9.0/0123456789abcdef.zip`,
        url: 'https://x/y.zip',
        sessionKey: 'a:b',
        checksum: 'c',
        signature: 'd',
        sha256: 'e',
        keyId: 'k',
        zipSize: 5000,
        encryptedSize: 5008,
        rawSize: 9000,
        fileCount: 1,
      },
      files: [{ name: 'index.html', size: 10, sha256: 'f'.repeat(64) }],
      native: { packages: [{ name: 'plugin-full', version: '1.0.0' }], capacitor: { android: '7.4.2', ios: '7.4.2' } },
    })
    await put(channelRecordKey(APP, 'beta'), {
      schema: 1,
      appId: APP,
      channel: 'beta',
      revision: 1,
      updatedAt: '2026-12-01T00:00:00Z',
      stable: {
        version: '0.9.0',
        record: recordKey,
        url: 'https://x/y.zip',
        sessionKey: 'a:b',
        checksum: 'c',
        signature: 'd',
        keyId: 'k',
        zipSize: 5000,
      },
      rollout: null,
      history: [],
      operations: [],
    })
    const base = deps()
    const reader = publicRecordsReader(base.store, APP, front.fetch)
    expect((await reader.readChannel('beta'))?.stable?.version).toBe('0.9.0')
    expect(await reader.readChannel('nowhere')).toBeUndefined()
    const failure = await refused(publish({ ...options('1.3.0'), channel: 'beta' }, { ...base, releases: reader }))
    expect(failure.cause).toMatchObject({ code: 'native_plugins_incompatible' })
    expect(failure.message).toMatch(/since 0\.9\.0 on channel 'beta'[\s\S]*plugin-full: version 1\.0\.0 → 1\.3\.0/)
    expect(failure.message).toMatch(/cordova-plugin: new native plugin \(2\.0\.1\)/)
  })
})
