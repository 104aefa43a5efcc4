/**
 * The device-facing contract of the responder, run against each entry point (Node server,
 * workerd through miniflare, the Lambda handler) with state in the loopback S3 bucket.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { startBucketHttp, type BucketHttp } from './bucket-http.js'
import { androidInfo, APP_ID, iosInfo, IOS_JSON, listQuery, post, type Send } from './device-requests.js'
import { fakePointer, putJson, writeApp, writeChannel, type Pointer } from './responder-state.js'
import { createTestBucket, removeTestBucket } from './s3.js'

export interface EntryEnv {
  STATE_URL: string
  CACHE_TTL_SECONDS: string
}

export interface StartedEntry {
  send: Send
  close(): Promise<void>
}

export const TTL_SECONDS = 0.25
const waitTtl = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, TTL_SECONDS * 1000 + 150))

/** Run `jobs` with at most `width` at a time. */
async function pool<T>(count: number, width: number, job: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count)
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const index = next++
        results[index] = await job(index)
      }
    }),
  )
  return results
}

export function responderScenarios(label: string, start: (env: EntryEnv) => Promise<StartedEntry>): void {
  describe(`responder contract: ${label}`, () => {
    let bucket: string
    let front: BucketHttp
    let entry: StartedEntry
    let v110: Pointer
    let v120: Pointer
    let v130: Pointer
    const send: Send = (path, init) => entry.send(path, init)
    const update = async (info: Record<string, unknown>, headers?: Record<string, string>) => {
      const response = await send('/updates', post(info, headers))
      expect(response.status).toBe(200)
      return (await response.json()) as Record<string, unknown>
    }

    beforeAll(async () => {
      bucket = await createTestBucket(`resp-${label}`)
      front = await startBucketHttp(bucket)
      v110 = fakePointer(APP_ID, '1.1.0', front.origin)
      v120 = fakePointer(APP_ID, '1.2.0', front.origin)
      v130 = fakePointer(APP_ID, '1.3.0', front.origin, { minNativeVersion: '2.0.0' })
      await writeApp(bucket, APP_ID, 'production', ['production', 'beta', 'native2', 'empty'])
      await writeChannel(bucket, APP_ID, 'production', { stable: v110 })
      await writeChannel(bucket, APP_ID, 'beta', { stable: v110, rollout: { release: v120, percentage: 25 } })
      await writeChannel(bucket, APP_ID, 'native2', { stable: v130 })
      entry = await start({ STATE_URL: front.origin, CACHE_TTL_SECONDS: String(TTL_SECONDS) })
    })

    afterAll(async () => {
      await entry?.close()
      await front?.close()
      if (bucket) await removeTestBucket(bucket)
    })

    test('a device on an older bundle gets the channel release, with no error or kind key', async () => {
      const reply = await update(androidInfo({ version_name: '1.0.0' }))
      expect(reply).toEqual({
        version: '1.1.0',
        url: v110.url,
        session_key: v110.sessionKey,
        checksum: v110.checksum,
        signature: v110.signature,
      })
      const ios = await update(iosInfo(), IOS_JSON)
      expect(ios.version).toBe('1.1.0')
      expect('error' in ios || 'kind' in ios).toBe(false)
    })

    test('a device already on the release is up to date', async () => {
      expect(await update(androidInfo({ version_name: '1.1.0' }))).toEqual({
        error: 'no_new_version_available',
        kind: 'up_to_date',
        message: expect.stringContaining('1.1.0'),
      })
    })

    test('an unknown app gets a clear error', async () => {
      const reply = await update(androidInfo({ app_id: 'com.example.unknown' }))
      expect(reply).toMatchObject({ error: 'app_not_found', kind: 'failed' })
      expect(reply.message).toContain('com.example.unknown')
    })

    test('the native floor refuses older native builds and serves newer ones', async () => {
      const old = await update(androidInfo({ defaultChannel: 'native2', version_build: '1.9.9' }))
      expect(old).toMatchObject({ error: 'native_version_below_floor', kind: 'blocked' })
      expect(old.message).toContain('2.0.0')
      expect((await update(androidInfo({ defaultChannel: 'native2', version_build: '2.0' }))).version).toBe('1.3.0')
    })

    test('a device whose public key is not the release key is refused', async () => {
      const reply = await update(androidInfo({ key_id: 'MIIBCgKCAQEAzzzzzzzz' }))
      expect(reply).toMatchObject({ error: 'key_id_mismatch', kind: 'blocked' })
      // A device without a public key sends no key_id: not a mismatch (Capgo's rule).
      const { key_id: _drop, ...noKey } = androidInfo()
      expect((await update(noKey)).version).toBe('1.1.0')
    })

    test('an unknown channel is named in the error', async () => {
      expect(await update(androidInfo({ defaultChannel: 'nightly' }))).toMatchObject({
        error: 'channel_not_found',
        kind: 'failed',
      })
      expect(await update(androidInfo({ defaultChannel: 'empty' }))).toMatchObject({
        error: 'no_channel',
        kind: 'failed',
      })
    })

    test('rollout: 25 % of 10,000 devices within ±3 points, sticky per device', async () => {
      const ids = Array.from({ length: 10_000 }, () => randomUUID())
      const first = await pool(
        ids.length,
        32,
        async (i) => (await update(androidInfo({ device_id: ids[i], defaultChannel: 'beta' }))).version,
      )
      const share = (first.filter((v) => v === '1.2.0').length / ids.length) * 100
      expect(first.every((v) => v === '1.1.0' || v === '1.2.0')).toBe(true)
      expect(Math.abs(share - 25)).toBeLessThanOrEqual(3)
      const again = await pool(
        500,
        16,
        async (i) => (await update(androidInfo({ device_id: ids[i], defaultChannel: 'beta' }))).version,
      )
      expect(again).toEqual(first.slice(0, 500))
      // The same device in upper case (iOS's UUID) lands in the same place.
      const upper = await update(iosInfo({ device_id: ids[0].toUpperCase(), defaultChannel: 'beta' }), IOS_JSON)
      expect(upper.version).toBe(first[0])
      // 10,500 real requests: minutes when the (shared) machine is busy.
    }, 600_000)

    test('rollback and promote are visible to the next request after the cache TTL', async () => {
      const ids = Array.from({ length: 200 }, () => randomUUID())
      const ask = (id: string, version = '1.1.0') =>
        update(androidInfo({ device_id: id, defaultChannel: 'beta', version_name: version }))
      const before = await Promise.all(ids.map((id) => ask(id)))
      const inRollout = ids.filter((_, i) => before[i].version === '1.2.0')
      expect(inRollout.length).toBeGreaterThan(0)

      await writeChannel(bucket, APP_ID, 'beta', { stable: v110, rollout: null })
      await waitTtl()
      // Rolled back: devices that took 1.2.0 are sent back to the stable release.
      for (const id of inRollout.slice(0, 20)) expect((await ask(id, '1.2.0')).version).toBe('1.1.0')

      await writeChannel(bucket, APP_ID, 'beta', { stable: v120, rollout: null })
      await waitTtl()
      const promoted = await Promise.all(ids.slice(0, 50).map((id) => ask(id)))
      expect(promoted.every((reply) => reply.version === '1.2.0')).toBe(true)
      await writeChannel(bucket, APP_ID, 'beta', { stable: v110, rollout: { release: v120, percentage: 25 } })
    })

    test('a delta release carries its manifest (gzip on the wire); plugins without manifest support get the zip only', async () => {
      const manifest = Array.from({ length: 300 }, (_, i) => ({
        file_name: `assets/chunk-${i}.js${i % 2 ? '.br' : ''}`,
        file_hash: randomUUID().replace(/-/g, '').repeat(16),
        download_url: `${front.origin}/${APP_ID}/1.4.0/files/assets/chunk-${i}.js`,
      }))
      const base = fakePointer(APP_ID, '1.4.0', front.origin)
      const delta = {
        ...base,
        manifestUrl: `${front.origin}/${base.record.replace('.release.json', '.manifest.json')}`,
        manifestSignature: 'ab'.repeat(256),
      }
      await putJson(bucket, delta.record.replace('.release.json', '.manifest.json'), manifest)
      await writeChannel(bucket, APP_ID, 'empty', { stable: delta })
      await waitTtl()
      const response = await send('/updates', post(androidInfo({ defaultChannel: 'empty' })))
      expect(response.headers.get('content-encoding')).toBe('gzip')
      const reply = (await response.json()) as Record<string, unknown>
      expect(reply.manifest).toEqual(manifest)
      expect(reply.manifest_signature).toBe(delta.manifestSignature)
      expect(reply.url).toBe(delta.url)
      const old = await update(androidInfo({ defaultChannel: 'empty', plugin_version: '7.0.30' }))
      expect(old.version).toBe('1.4.0')
      expect(old.manifest).toBeUndefined()
      await writeChannel(bucket, APP_ID, 'empty', { stable: null })
    })

    test('channel_self: set, get, unset and list as the plugin calls them', async () => {
      const info = androidInfo()
      const set = await send('/channel_self', post({ ...info, channel: 'beta' }))
      expect(set.status).toBe(200)
      expect(await set.json()).toMatchObject({ status: 'ok' })
      expect(await (await send('/channel_self', post({ ...info, channel: 'nope' }))).json()).toMatchObject({
        error: 'channel_not_found',
      })
      // The plugin then sends the channel back as defaultChannel: no server-side state.
      const got = await send('/channel_self', { ...post({ ...info, defaultChannel: 'beta' }), method: 'PUT' })
      expect(await got.json()).toEqual({ channel: 'beta', status: 'override', allowSet: true })
      const fresh = await send('/channel_self', { ...post(info), method: 'PUT' })
      expect(await fresh.json()).toEqual({ channel: 'production', status: 'default', allowSet: true })
      const unset = await send('/channel_self', { ...post(info), method: 'DELETE' })
      expect(await unset.json()).toMatchObject({ status: 'ok' })
      const list = await send(listQuery(info), { method: 'GET' })
      expect(list.status).toBe(200)
      const channels = (await list.json()) as { id: number; name: string; public: boolean; allow_self_set: boolean }[]
      expect(channels.map((c) => c.name)).toEqual(['production', 'beta', 'native2', 'empty'])
      expect(channels.every((c) => typeof c.id === 'number')).toBe(true)
      expect(channels.find((c) => c.public)?.name).toBe('production')
    })

    test('stats: batches and single events are counted, junk entries rejected without a 5xx', async () => {
      const info = androidInfo()
      const batch = [
        {
          ...info,
          action: 'download_complete',
          version_name: '1.1.0',
          old_version_name: 'builtin',
          timestamp: Date.now(),
        },
        { ...info, action: 'set', version_name: '1.1.0', old_version_name: 'builtin' },
        { nonsense: true },
        42,
      ]
      const reply = await send('/stats', post(batch))
      expect(reply.status).toBe(200)
      expect(await reply.json()).toEqual({ status: 'ok', accepted: 2, rejected: 2 })
      const single = await send('/stats', post({ ...info, action: 'app_moved_to_foreground' }))
      expect(await single.json()).toEqual({ status: 'ok', accepted: 1, rejected: 0 })
      expect((await send('/stats', post('just a string'))).status).toBe(400)
    })

    test('malformed requests get a clear 4xx', async () => {
      // A 413 comes before the body is read, and the server then closes the connection; on a busy
      // machine the client can see the reset before the answer. The answer is what is tested: ask again.
      const answered = async (path: string, init: Parameters<Send>[1]) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await send(path, init)
          } catch (error) {
            const cause = (error as { cause?: { code?: string; message?: string } }).cause
            if (attempt >= 3 || !/ECONNRESET|EPIPE/.test(`${cause?.code ?? ''} ${cause?.message ?? ''}`)) throw error
          }
        }
      }
      const expectError = async (path: string, init: Parameters<Send>[1], status: number, error: string) => {
        const response = await answered(path, init)
        expect(response.status).toBe(status)
        const body = (await response.json()) as Record<string, unknown>
        expect(body.error).toBe(error)
        expect(typeof body.message).toBe('string')
      }
      await expectError(
        '/updates',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"app_id":' },
        400,
        'invalid_json',
      )
      await expectError(
        '/updates',
        { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(androidInfo()) },
        415,
        'unsupported_content_type',
      )
      await expectError(
        '/updates',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...androidInfo(), pad: 'x'.repeat(70_000) }),
        },
        413,
        'body_too_large',
      )
      await expectError('/updates', post({ ...androidInfo(), device_id: 'not-a-uuid' }), 400, 'invalid_request')
      await expectError('/updates', post({ ...androidInfo(), platform: 'windows' }), 400, 'invalid_request')
      await expectError('/updates', post([1, 2]), 400, 'invalid_request')
      await expectError('/updates', { method: 'GET' }, 405, 'method_not_allowed')
      await expectError('/nothing-here', { method: 'GET' }, 404, 'not_found')
      await expectError(
        '/stats',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'not json' },
        400,
        'invalid_json',
      )
      // Still serving after all that.
      expect((await update(androidInfo())).version).toBe('1.1.0')
    })
  })
}
