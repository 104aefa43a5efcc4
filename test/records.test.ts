/**
 * Release and channel records: the pure channel steps, the store primitives (get with ETag,
 * conditional put, list) on the three stores, and race safety under concurrent writers on both
 * write paths: conditional (folder store, an S3 double that honours If-Match) and the fallback
 * (the loopback Swift server, which answers 501 to conditional PUTs).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import path from 'node:path'
import {
  applyPromote,
  applyPublish,
  applyRollback,
  ReleaseRecords,
  rollbackTarget,
  type ReleasePointer,
} from '../src/core/records/index.js'
import { ConditionalWritesUnsupported, createStore, WriteConflict } from '../src/core/storage/index.js'
import type { BundleStore } from '../src/core/types.js'
import { startConditionalS3, type ConditionalS3 } from './support/conditional-s3.js'
import { removeDir, tempDir } from './support/folders.js'
import { createTestBucket, removeTestBucket, s3TestConfig } from './support/s3.js'

const APP = 'com.example.app'
let work: string
let bucket: string
let double: ConditionalS3

function pointer(version: string): ReleasePointer {
  return {
    version,
    record: `${APP}/${version}/x.zip.release.json`,
    url: `https://cdn.example.com/${version}.zip`,
    sessionKey: 'aXY=:a2V5',
    checksum: 'ab'.repeat(256),
    signature: '',
    keyId: 'KEYID',
    zipSize: 10,
  }
}
const ctx = (runId?: string, runAttempt?: string) => ({
  id: `${Math.random()}`,
  at: '2026-12-01T00:00:00.000Z',
  runId,
  runAttempt,
})

function swiftStore(): BundleStore {
  const s3 = s3TestConfig()
  return createStore({
    kind: 's3',
    bucket,
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  })
}
function doubleStore(): BundleStore {
  return createStore({
    kind: 's3',
    bucket: 'records',
    region: 'us-east-1',
    endpoint: double.endpoint,
    forcePathStyle: true,
    accessKeyId: 'a',
    secretAccessKey: 'b',
  })
}

beforeAll(async () => {
  work = await tempDir()
  bucket = await createTestBucket('records')
  double = await startConditionalS3()
})
afterAll(async () => {
  await removeTestBucket(bucket)
  await double.close()
  await removeDir(work)
})

describe('channel steps', () => {
  it('a 10 % rollout keeps the stable; promote makes it stable; rollback returns to the previous stable', () => {
    let record = applyPublish(
      undefined,
      { appId: APP, channel: 'production', release: pointer('1.0.0'), percentage: 10 },
      ctx(),
    ).next!
    expect(record.stable?.version).toBe('1.0.0') // first release: nothing to roll out against
    expect(record.rollout).toBeNull()
    record = applyPublish(
      record,
      { appId: APP, channel: 'production', release: pointer('1.1.0'), percentage: 10 },
      ctx(),
    ).next!
    expect(record.stable?.version).toBe('1.0.0')
    expect(record.rollout).toEqual({ release: pointer('1.1.0'), percentage: 10 })
    expect(
      applyPublish(record, { appId: APP, channel: 'production', release: pointer('1.1.0'), percentage: 10 }, ctx())
        .next,
    ).toBeUndefined()

    const promoted = applyPromote(record, ctx('7', '1')).next!
    expect(promoted.stable?.version).toBe('1.1.0')
    expect(promoted.rollout).toBeNull()
    expect(promoted.history.map((entry) => entry.version)).toEqual(['1.0.0'])
    expect(applyPromote(promoted, ctx('8', '1'))).toEqual({ note: expect.stringContaining('nothing to promote') })

    const back = applyRollback(
      promoted,
      rollbackTarget(promoted, 'production'),
      { appId: APP, channel: 'production' },
      ctx('9', '1'),
    ).next!
    expect(back.stable?.version).toBe('1.0.0')
    expect(back.history).toEqual([])
    expect(back.operations[0]).toMatchObject({
      kind: 'rollback',
      version: '1.0.0',
      from: '1.1.0',
      runId: '9',
      runAttempt: '1',
    })
    // The same run, a later attempt: never twice.
    const again = applyRollback(back, pointer('0.9.0'), { appId: APP, channel: 'production' }, ctx('9', '2'))
    expect(again.next).toBeUndefined()
    expect(again.note).toContain('not rolling back twice')
    // To the version already stable: nothing.
    expect(
      applyRollback(back, pointer('1.0.0'), { appId: APP, channel: 'production' }, ctx('10', '1')).next,
    ).toBeUndefined()
    expect(() => rollbackTarget(back, 'production')).toThrow(/no earlier stable/)
  })

  it('keeps history and operations bounded and newest first', () => {
    let record = applyPublish(
      undefined,
      { appId: APP, channel: 'c', release: pointer('1.0.0'), percentage: 100 },
      ctx(),
    ).next!
    for (let minor = 1; minor <= 30; minor++)
      record = applyPublish(
        record,
        { appId: APP, channel: 'c', release: pointer(`1.${minor}.0`), percentage: 100 },
        ctx(),
      ).next!
    expect(record.history).toHaveLength(20)
    expect(record.history[0]!.version).toBe('1.29.0')
    expect(record.operations).toHaveLength(20)
    expect(record.operations[0]!.version).toBe('1.30.0')
    expect(record.revision).toBe(31)
  })
})

describe.each([
  ['folder store', () => createStore({ kind: 'dir', dir: path.join(work, 'primitives') })],
  ['S3 with conditional writes', () => doubleStore()],
])('store primitives: %s', (_name, make) => {
  it('reads JSON with an ETag, refuses stale If-Match and existing If-None-Match, lists by prefix, deletes', async () => {
    const store = make()
    const key = 'live-update/com.example.app/channels/production.json'
    expect(await store.getJson(key)).toBeUndefined()
    await store.putJson(key, { n: 1 }, { ifNoneMatch: '*' })
    const first = (await store.getJson(key))!
    expect(first.value).toEqual({ n: 1 })
    await expect(store.putJson(key, { n: 9 }, { ifNoneMatch: '*' })).rejects.toBeInstanceOf(WriteConflict)
    await store.putJson(key, { n: 2 }, { ifMatch: first.etag })
    await expect(store.putJson(key, { n: 3 }, { ifMatch: first.etag })).rejects.toBeInstanceOf(WriteConflict)
    expect((await store.getJson(key))!.value).toEqual({ n: 2 })
    await store.putJson('live-update/com.example.app/app.json', { a: 1 })
    expect(await store.list('live-update/com.example.app/channels/')).toEqual([key])
    expect((await store.list('live-update/')).sort()).toEqual(['live-update/com.example.app/app.json', key])
    await store.delete(key)
    await store.delete(key)
    expect(await store.getJson(key)).toBeUndefined()
  })
})

describe('store primitives: Swift (no conditional writes)', () => {
  it('answers 501 to If-Match and If-None-Match, which the store reports as unsupported', async () => {
    const store = swiftStore()
    const key = 'live-update/com.example.app/channels/swift.json'
    await expect(store.putJson(key, { n: 1 }, { ifNoneMatch: '*' })).rejects.toBeInstanceOf(
      ConditionalWritesUnsupported,
    )
    await store.putJson(key, { n: 1 })
    const found = (await store.getJson(key))!
    expect(found.value).toEqual({ n: 1 })
    await expect(store.putJson(key, { n: 2 }, { ifMatch: found.etag })).rejects.toBeInstanceOf(
      ConditionalWritesUnsupported,
    )
    expect(await store.list('live-update/com.example.app/channels/')).toEqual([key])
  })
})

async function concurrentPublishes(records: ReleaseRecords[], channels: string[], versions: string[]) {
  const appId = records[0]!.appId
  await Promise.all(
    versions.map(async (version, index) => {
      const recordsOfWriter = records[index % records.length]!
      const channel = channels[index % channels.length]!
      const context = recordsOfWriter.context({ runId: `run-${version}`, runAttempt: '1' })
      await recordsOfWriter.updateChannel(channel, context, (current) =>
        applyPublish(current, { appId, channel, release: pointer(version), percentage: 100 }, context),
      )
      await recordsOfWriter.updateApp(channel, 'add')
    }),
  )
}

function expectConsistent(record: Awaited<ReturnType<ReleaseRecords['readChannel']>>, versions: string[]) {
  expect(record).toBeDefined()
  // Every publish landed: one is stable, the others are in the history, each op is recorded once.
  expect(record!.operations.map((op) => op.version).sort()).toEqual([...versions].sort())
  expect([record!.stable!.version, ...record!.history.map((entry) => entry.version)].sort()).toEqual(
    [...versions].sort(),
  )
  expect(record!.revision).toBe(versions.length)
}

describe.each([
  [
    'conditional: folder store',
    'conditional',
    () => createStore({ kind: 'dir', dir: path.join(work, `race-${Math.random()}`) }),
    {},
  ],
  ['conditional: S3 double honouring If-Match', 'conditional', () => doubleStore(), {}],
  ['fallback: Swift (501 to conditional PUTs)', 'fallback', () => swiftStore(), { settleMs: 500 }],
  [
    'fallback: folder store written without conditions',
    'fallback',
    () => createStore({ kind: 'dir', dir: path.join(work, `race-${Math.random()}`) }),
    { settleMs: 500, forceFallback: true },
  ],
])('race safety, %s', (_name, expectedPath, make, settings) => {
  it('four writers to one channel and two to two channels lose no update', async () => {
    const store = make()
    // The double's 412 count runs over the whole file: only this test's conflicts are counted.
    const conflictsBefore = double.conflicts
    const app = `${APP}${Math.random().toString(36).slice(2, 6)}`
    const writers = [0, 1, 2, 3].map(() => new ReleaseRecords(store, app, settings))
    const one = ['1.0.0', '1.0.1', '1.0.2', '1.0.3']
    await Promise.all([
      concurrentPublishes(writers, ['production'], one),
      concurrentPublishes(writers.slice(0, 2), ['beta', 'staging'], ['2.0.0', '3.0.0']),
    ])
    const reader = new ReleaseRecords(store, app)
    const production = await reader.readChannel('production')
    expectConsistent(production, one)
    expectConsistent(await reader.readChannel('beta'), ['2.0.0'])
    expectConsistent(await reader.readChannel('staging'), ['3.0.0'])
    const appRecord = await reader.readApp()
    expect(appRecord!.channels.sort()).toEqual(['beta', 'production', 'staging'])
    expect(['beta', 'production', 'staging']).toContain(appRecord!.defaultChannel)
    const probe = await new ReleaseRecords(store, app, settings).updateChannel('production', reader.context(), () => ({
      note: 'nothing',
    }))
    expect(probe.path).toBe(expectedPath)
    // The writers really collided (the double counts its 412 answers).
    if (_name.includes('double')) expect(double.conflicts).toBeGreaterThan(conflictsBefore)
  }, 60_000)
})
