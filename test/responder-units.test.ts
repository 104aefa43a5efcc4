/**
 * The responder's parts where the entry-point suites cannot reach: the read cache, broken or
 * unreachable state, stats forwarding, chunked bodies without Content-Length, the rollout hash.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, test } from '@jest/globals'
import { createResponder } from '../src/server/handler.js'
import { cachedStateReader, httpStateReader, type StateReader } from '../src/server/reader.js'
import { rolloutBucket } from '../src/server/rollout.js'
import { compareVersions, parseLooseVersion, pluginSupportsManifest } from '../src/server/semver.js'
import { androidInfo, APP_ID, post } from './support/device-requests.js'
import { fakePointer } from './support/responder-state.js'

function memoryReader(objects: Map<string, string>, reads: string[] = []): StateReader {
  return {
    describe: () => 'memory',
    async read(key) {
      reads.push(key)
      return objects.get(key) ?? null
    },
  }
}

function state(): Map<string, string> {
  const objects = new Map<string, string>()
  objects.set(
    `live-update/${APP_ID}/app.json`,
    JSON.stringify({ schema: 1, appId: APP_ID, defaultChannel: 'production', channels: ['production'] }),
  )
  objects.set(
    `live-update/${APP_ID}/channels/production.json`,
    JSON.stringify({
      schema: 1,
      appId: APP_ID,
      channel: 'production',
      revision: 1,
      stable: fakePointer(APP_ID, '2.0.0', 'https://cdn.example.com'),
      rollout: null,
      history: [],
      operations: [],
    }),
  )
  return objects
}

const request = (body: unknown, path = '/updates') => new Request(`http://responder${path}`, post(body) as RequestInit)

describe('state cache', () => {
  test('reads are cached for the TTL (misses too), shared between concurrent requests, and bounded', async () => {
    let time = 0
    const reads: string[] = []
    const objects = state()
    const reader = cachedStateReader(memoryReader(objects, reads), { ttlMs: 1000, maxEntries: 3, now: () => time })
    await Promise.all([reader.read('a'), reader.read('a'), reader.read('a')])
    expect(reads).toEqual(['a'])
    time = 999
    await reader.read('a')
    expect(reads).toEqual(['a'])
    time = 1000
    await reader.read('a')
    expect(reads).toEqual(['a', 'a'])
    for (const key of ['b', 'c', 'd', 'e']) await reader.read(key)
    reads.length = 0
    await reader.read('a') // dropped to stay within 3 entries
    expect(reads).toEqual(['a'])
  })

  test('a failed read is not cached', async () => {
    let fail = true
    const reader = cachedStateReader(
      { describe: () => 'x', read: async () => (fail ? Promise.reject(new Error('down')) : 'ok') },
      { ttlMs: 60_000 },
    )
    await expect(reader.read('k')).rejects.toThrow('down')
    fail = false
    await expect(reader.read('k')).resolves.toBe('ok')
  })
})

describe('broken or unreachable state', () => {
  test('an invalid record is a 502 state_invalid for devices, with the key and problem in the operator log', async () => {
    const objects = state()
    objects.set(
      `live-update/${APP_ID}/channels/production.json`,
      JSON.stringify({ schema: 1, appId: APP_ID, channel: 'production', stable: { version: '1.0.0' } }),
    )
    const log: string[] = []
    const responder = createResponder({ reader: memoryReader(objects), cacheTtlMs: 0, log: (line) => log.push(line) })
    const response = await responder.fetch(request(androidInfo()))
    expect(response.status).toBe(502)
    expect(await response.json()).toMatchObject({ error: 'state_invalid', kind: 'failed' })
    expect(log.join('\n')).toContain('channels/production.json')
    expect(log.join('\n')).toContain("'stable.url'")
  })

  test('a bucket answering 500 is a 502 state_unavailable; 403 and 404 read as missing', async () => {
    let status = 500
    const server = http.createServer((_req, res) => res.writeHead(status).end('nope'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/state`
    try {
      const responder = createResponder({ reader: httpStateReader(base), cacheTtlMs: 0 })
      const down = await responder.fetch(request(androidInfo()))
      expect(down.status).toBe(502)
      expect(await down.json()).toMatchObject({ error: 'state_unavailable' })
      for (status of [403, 404]) {
        expect(await (await responder.fetch(request(androidInfo()))).json()).toMatchObject({ error: 'app_not_found' })
      }
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  test('the state URL must be http(s) without credentials', () => {
    expect(() => httpStateReader('ftp://x')).toThrow('http(s)')
    expect(() => httpStateReader('https://user:pw@x')).toThrow('credentials')
  })
})

describe('stats forwarding', () => {
  test('accepted events (only their known fields) are POSTed to the webhook; a down webhook never fails devices', async () => {
    const received: unknown[] = []
    let status = 200
    const server = http.createServer((req, res) => {
      let body = ''
      req.on('data', (chunk) => (body += chunk))
      req.on('end', () => {
        received.push(JSON.parse(body))
        res.writeHead(status).end()
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
    try {
      const log: string[] = []
      const responder = createResponder({
        reader: memoryReader(state()),
        statsWebhookUrl: url,
        log: (line) => log.push(line),
      })
      const event: Record<string, unknown> = {
        ...androidInfo(),
        action: 'download_complete',
        version_name: '2.0.0',
        secret_field: 'x',
      }
      const reply = await responder.fetch(request([event, 'junk'], '/stats'))
      expect(await reply.json()).toEqual({ status: 'ok', accepted: 1, rejected: 1 })
      expect(received).toEqual(
        [
          {
            events: [
              {
                app_id: APP_ID,
                action: 'download_complete',
                device_id: event.device_id,
                version_name: '2.0.0',
                old_version_name: undefined,
                platform: 'android',
              },
            ],
          },
        ].map((x) => JSON.parse(JSON.stringify(x))),
      )
      status = 500
      const again = await responder.fetch(request(event, '/stats'))
      expect(again.status).toBe(200)
      expect(log.join('\n')).toContain('stats webhook did not accept 1 events')
      expect(responder.stats.counts()).toEqual({ download_complete: 2 })
      expect(responder.stats.rejected()).toBe(1)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  test('junk of every shape is a 200 with rejected counts or a 4xx, never a 5xx', async () => {
    const responder = createResponder({ reader: memoryReader(state()) })
    const bodies = [
      'null',
      '[]',
      '[null,1,"x",[],{}]',
      '{"action":1}',
      '{"action":"x","app_id":"../../etc"}',
      `{"action":"${'a'.repeat(500)}","app_id":"com.a.b"}`,
      '"x"',
      '1e999',
      '{',
    ]
    for (const body of bodies) {
      const response = await responder.fetch(
        new Request('http://r/stats', { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
      )
      expect(response.status).toBeLessThan(500)
    }
  })
})

describe('bodies', () => {
  test('a chunked body without Content-Length is cut off at the limit', async () => {
    const responder = createResponder({ reader: memoryReader(state()), updateBodyLimit: 1024 })
    const chunk = new TextEncoder().encode(' '.repeat(512))
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent++
        if (sent > 100) controller.close()
        else controller.enqueue(chunk)
      },
    })
    const response = await responder.fetch(
      new Request('http://r/updates', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit),
    )
    expect(response.status).toBe(413)
    expect(sent).toBeLessThan(10)
  })
})

describe('rollout hash and versions', () => {
  test('buckets are uniform over device ids and differ between versions', async () => {
    const ids = Array.from(
      { length: 20_000 },
      (_, i) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`,
    )
    const buckets = await Promise.all(ids.map((id) => rolloutBucket(id, '1.0.0')))
    const tenths = new Array(10).fill(0)
    for (const b of buckets) tenths[Math.floor(b / 1000)]++
    for (const count of tenths) expect(Math.abs(count - 2000)).toBeLessThan(200)
    const other = await Promise.all(ids.slice(0, 1000).map((id) => rolloutBucket(id, '1.0.1')))
    expect(other.filter((b, i) => b === buckets[i]).length).toBeLessThan(10)
  })

  test("loose native versions compare as semver; manifest support follows Capgo's plugin floors", () => {
    const v = (text: string) => parseLooseVersion(text)!
    expect(compareVersions(v('2'), v('2.0.0'))).toBe(0)
    expect(compareVersions(v('1.10.0'), v('1.9.9'))).toBe(1)
    expect(compareVersions(v('2.0.0-beta.2'), v('2.0.0'))).toBe(-1)
    expect(compareVersions(v('2.0.0-beta.10'), v('2.0.0-beta.9'))).toBe(1)
    expect(parseLooseVersion('abc')).toBeUndefined()
    expect(['5.10.0', '6.25.0', '7.0.35', '8.0.0'].map(pluginSupportsManifest)).toEqual([true, true, true, true])
    expect(['5.9.9', '6.24.0', '7.0.34', '4.99.0', 'x'].map(pluginSupportsManifest)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ])
  })
})
