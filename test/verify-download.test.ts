/**
 * The verify download against a hostile loopback server (adversarial review D3, D4, D8 and the
 * "Also decide" messages): trickles, endless bodies, lying lengths, redirect loops, an https→http
 * redirect, an HTML page with status 200, refused connections, URLs with credentials.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readdir, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createBundleEncryptor } from '../src/core/crypto.js'
import { LiveUpdateError } from '../src/core/errors.js'
import { createKeyPair, loadPrivateKey } from '../src/core/keys.js'
import { verifyBundle, type VerifyOptions } from '../src/core/verify.js'
import { craftZip } from './support/crafted-zip.js'
import { removeDir, tempDir } from './support/folders.js'
import { fetchTrusting, makeTestCertificates, type TestCa } from './support/https-front.js'
import './support/verify-matchers.js'

let work: string
let publicKeyPem: string
let bundle: { ciphertext: Buffer; sessionKey: string; checksum: string }
let server: Server
let base: string
let tls: https.Server
let tlsBase: string
let ca: TestCa
const timers = new Set<NodeJS.Timeout>()

function options(source: string, over: Partial<VerifyOptions> = {}): VerifyOptions {
  return { source, sessionKey: bundle.sessionKey, checksum: bundle.checksum, publicKeyPem, tempDir: work, ...over }
}

/** Write `bytes` one byte every `ms`, until done or the client goes away. */
function trickle(response: import('node:http').ServerResponse, bytes: Buffer, ms: number): void {
  let i = 0
  const timer = setInterval(() => {
    if (i >= bytes.length || response.destroyed) {
      clearInterval(timer)
      timers.delete(timer)
      if (!response.destroyed) response.end()
      return
    }
    response.write(bytes.subarray(i, ++i))
  }, ms)
  timers.add(timer)
}

beforeAll(async () => {
  work = await tempDir('live-update-verify-download-')
  const pair = createKeyPair()
  publicKeyPem = pair.publicKeyPem
  const encryptor = createBundleEncryptor(loadPrivateKey(pair.privateKeyPem))
  const out: Buffer[] = []
  const zip = craftZip([
    { name: 'index.html', data: '<html>ok</html>' },
    { name: 'app.js', data: 'notifyAppReady()' },
  ])
  await pipeline(Readable.from([zip]), encryptor.transform, async function* (source) {
    for await (const chunk of source) out.push(chunk as Buffer)
  })
  bundle = { ciphertext: Buffer.concat(out), ...encryptor.result() }
  const html = Buffer.from(
    `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>${'x'.repeat(400)}</body></html>`,
  )
  server = createServer((request, response) => {
    const url = request.url ?? ''
    if (url === '/good.zip')
      response.writeHead(200, { 'content-length': bundle.ciphertext.length }).end(bundle.ciphertext)
    else if (url === '/trickle-known') {
      response.writeHead(200, { 'content-length': bundle.ciphertext.length })
      trickle(response, bundle.ciphertext, 40)
    } else if (url === '/trickle-chunked') {
      response.writeHead(200)
      trickle(response, bundle.ciphertext, 40)
    } else if (url === '/endless') {
      response.writeHead(200)
      const chunk = Buffer.alloc(64 * 1024, 0x5a)
      const pump = (): void => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once('drain', pump)
      }
      pump()
    } else if (url === '/long-length')
      response
        .writeHead(200, { 'content-length': bundle.ciphertext.length * 4 })
        .end(Buffer.concat([bundle.ciphertext, bundle.ciphertext, bundle.ciphertext, bundle.ciphertext]))
    else if (url.startsWith('/loop')) response.writeHead(302, { location: `/loop${url.length}` }).end()
    else if (url === '/hop') response.writeHead(301, { location: '/good.zip' }).end()
    else if (url === '/error-page')
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': html.length }).end(html)
    else response.writeHead(404).end('not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  ca = await makeTestCertificates()
  tls = https.createServer({ key: ca.keyPem, cert: ca.certPem }, (_request, response) => {
    response.writeHead(302, { location: `${base}/good.zip` }).end()
  })
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve))
  tlsBase = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`
})

afterAll(async () => {
  for (const timer of timers) clearInterval(timer)
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  await new Promise((resolve) => tls?.close(resolve))
  await removeDir(work)
  if (ca) await rm(ca.dir, { recursive: true, force: true })
})

describe('bounded in time (D3)', () => {
  it('a trickle with a known size fails at its deadline, named in the message', async () => {
    const started = Date.now()
    const report = await verifyBundle(options(`${base}/trickle-known`, { graceMs: 1000, minBytesPerSecond: 1000 }))
    // 1 byte / 40 ms never trips the idle limit; 1 s + size/1000 B/s does.
    expect(report).toBeRejectedAt(
      'download',
      /did not finish within its deadline of \d+\.\d s \(1\.0 s \+ 1 s per 1000 bytes\)/,
    )
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('a trickle of unknown size fails once it falls below the minimum rate', async () => {
    const report = await verifyBundle(options(`${base}/trickle-chunked`, { graceMs: 1000, minBytesPerSecond: 1000 }))
    expect(report).toBeRejectedAt(
      'download',
      /slower than the minimum rate: \d+ bytes in \d+\.\d s \(allowed: 1\.0 s \+ 1 s per 1000 bytes\)/,
    )
  })

  it('a fast download is not affected by a tight rule', async () => {
    expect(await verifyBundle(options(`${base}/good.zip`, { graceMs: 1000, minBytesPerSecond: 1000 }))).toMatchObject({
      ok: true,
    })
  })
})

describe('bounded in size (D4)', () => {
  it('an endless body stops at the hard cap, writing nothing to disk', async () => {
    const report = await verifyBundle(options(`${base}/endless`, { maxBytes: 1 << 20 }))
    expect(report).toBeRejectedAt('download', /more than 1048576 bytes arrived \(the limit is the 1\.0 MiB cap\)/)
    expect(await readdir(work)).toEqual([])
  })

  it('an endless body stops one chunk past the uploaded size when that is known (publish)', async () => {
    const report = await verifyBundle(options(`${base}/endless`, { expectedSize: bundle.ciphertext.length }))
    expect(report).toBeRejectedAt(
      'download',
      `more than ${bundle.ciphertext.length} bytes arrived (the limit is the uploaded size)`,
    )
  })

  it('a Content-Length above the uploaded size fails before reading the body', async () => {
    const report = await verifyBundle(options(`${base}/long-length`, { expectedSize: bundle.ciphertext.length }))
    expect(report).toBeRejectedAt(
      'download',
      `announces ${bundle.ciphertext.length * 4} bytes (Content-Length), but ${bundle.ciphertext.length} were uploaded`,
    )
  })

  it('a local endless source (a stream) stops at the cap too', async () => {
    const endless = new Readable({
      read() {
        this.push(Buffer.alloc(65536))
      },
    })
    expect(await verifyBundle(options('', { source: endless, maxBytes: 1 << 20 }))).toBeRejectedAt(
      'download',
      'more than 1048576 bytes arrived',
    )
  })
})

describe('messages that say what happened', () => {
  it('a refused connection names ECONNREFUSED, not just "fetch failed"', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const report = await verifyBundle(options(`http://127.0.0.1:${port}/x.zip?X-Amz-Signature=SigSecret999`))
    expect(report).toBeRejectedAt('download', /ECONNREFUSED/)
    expect(report).not.toBeRejectedAt('download', 'SigSecret999')
  })

  it('a redirect loop is named as one', async () => {
    expect(await verifyBundle(options(`${base}/loop`))).toBeRejectedAt('download', 'redirected more than 20 times')
  })

  it('an ordinary redirect is followed', async () => {
    expect(await verifyBundle(options(`${base}/hop`))).toMatchObject({ ok: true })
  })

  it('an https→http redirect is refused, as devices with httpsOnly refuse it', async () => {
    const report = await verifyBundle(options(`${tlsBase}/bundle.zip`, { fetch: fetchTrusting(ca.caPem) }))
    expect(report).toBeRejectedAt(
      'download',
      /redirected from https to http:\/\/127\.0\.0\.1:\d+\/good\.zip; devices refuse an https→http redirect/,
    )
  })

  it('an HTML page answered with 200 is reported as a page, not as a wrong key', async () => {
    const report = await verifyBundle(options(`${base}/error-page`))
    expect(report).toBeRejectedAt(
      'download',
      "the server answered 'text/html' starting '<!DOCTYPE html><html><head><title>502 Bad Gateway",
    )
  })

  it('the same page as a local file is named too (no content type)', async () => {
    const file = path.join(work, '..', `page-${process.pid}.enc`)
    await writeFile(file, `<!doctype html><p>${'x'.repeat(500)}</p>`)
    try {
      expect(await verifyBundle(options(file))).toBeRejectedAt(
        'download',
        "the file holds a page starting '<!doctype html>",
      )
    } finally {
      await rm(file, { force: true })
    }
  })
})

describe('URLs with credentials (D8)', () => {
  it('are refused as bad input, never quoted whole', async () => {
    const error = await verifyBundle(
      options('http://user:Hunter2Secret@127.0.0.1:1/good.zip?X-Amz-Signature=SigSecret999'),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LiveUpdateError)
    expect(error).toMatchObject({ code: 'input_bundle_url_invalid', stage: 'input', input: 'source' })
    expect((error as Error).message).toContain('http://127.0.0.1:1/good.zip')
    expect((error as Error).message).not.toMatch(/Hunter2Secret|SigSecret999|user:Hunter/)
  })
})
