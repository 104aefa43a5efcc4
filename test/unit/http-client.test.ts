/** HttpJsonClient against a loopback server: what every external-service call relies on. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  describeFailure,
  HttpFailure,
  HttpJsonClient,
  outcomeUnknown,
  TransportFailure,
  wasRetried,
} from '../../src/core/register/http.js'

const SECRET = 'sk-live-0123456789abcdef'
let server: http.Server
let base: string
const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = []

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      seen.push({ method: request.method, url: request.url, headers: request.headers, body })
      if (request.url === '/echo-secret')
        return response
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'bad_key', message: `key ${SECRET} refused` }))
      if (request.url === '/busy') return response.writeHead(429, { 'retry-after': '7' }).end('slow down')
      if (request.url === '/moved') return response.writeHead(302, { location: 'https://elsewhere.example/' }).end()
      if (request.url === '/hang') return
      if (request.url === '/slow')
        return void setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 200)
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const client = (waits: number[] = []) =>
  new HttpJsonClient({
    baseUrl: base,
    service: 'Test',
    headers: { authorization: SECRET },
    secrets: [SECRET],
    sleep: async (ms) => void waits.push(ms),
    attempts: 3,
    random: () => 0,
  })

describe('HttpJsonClient', () => {
  it('sends JSON with the default headers and parses the answer', async () => {
    await expect(
      client().send({ method: 'POST', path: '/ok', json: { a: 1 }, query: { page: '2' } }),
    ).resolves.toMatchObject({ status: 200, json: { ok: true } })
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      url: '/ok?page=2',
      body: '{"a":1}',
      headers: { authorization: SECRET, 'content-type': 'application/json' },
    })
  })

  it('never lets a secret the server echoes reach the failure', async () => {
    const failure = await client()
      .send({ method: 'GET', path: '/echo-secret' })
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(HttpFailure)
    expect(failure).toMatchObject({ status: 400, apiCode: 'bad_key', apiMessage: 'key *** refused' })
    expect(JSON.stringify({ ...(failure as HttpFailure), message: (failure as Error).message })).not.toContain(SECRET)
    expect(wasRetried(failure)).toBe(false)
  })

  it('waits the Retry-After of a 429, then gives up after the attempts with the last answer', async () => {
    const waits: number[] = []
    await expect(client(waits).call({ method: 'GET', path: '/busy' })).rejects.toMatchObject({
      status: 429,
      retryAfterMs: 7000,
      excerpt: 'slow down',
    })
    expect(waits).toEqual([7000, 7000])
  })

  it('does not follow redirects (an API key must not travel to another host)', async () => {
    await expect(client().send({ method: 'GET', path: '/moved' })).rejects.toMatchObject({ status: 302 })
  })

  it('a per-call timeout applies to that call only, and is an unknown outcome', async () => {
    const shared = client()
    const failure = await shared.send({ method: 'POST', path: '/hang', timeoutMs: 50 }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(TransportFailure)
    expect(failure).toMatchObject({ kind: 'timeout', timeoutMs: 50, notSent: false })
    expect(outcomeUnknown(failure)).toBe(true)
    expect(describeFailure(failure)).toBe('POST /hang got no answer within 50 ms')
    // The same client's next call has its default timeout again: an answer after 200 ms arrives.
    await expect(shared.send({ method: 'GET', path: '/slow' })).resolves.toMatchObject({ status: 200 })
  })

  it('a refused connection certainly never reached the server', async () => {
    const spare = http.createServer()
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve))
    const { port } = spare.address() as AddressInfo
    await new Promise((resolve) => spare.close(resolve))
    const closed = new HttpJsonClient({ baseUrl: `http://127.0.0.1:${port}`, service: 'Test' })
    const failure = await closed.send({ method: 'POST', path: '/x' }).catch((error: unknown) => error)
    expect(failure).toMatchObject({ kind: 'network', notSent: true, detail: 'ECONNREFUSED' })
    expect(outcomeUnknown(failure)).toBe(false)
  })
})
