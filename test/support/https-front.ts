/**
 * An https server on 127.0.0.1 in front of a (private) test bucket, like a CDN or custom domain:
 * `GET https://127.0.0.1:<port>/<key>` streams the object, fetched from the S3 server with the
 * test credentials (GetObject, path style). Its certificate is issued at test time by a throwaway
 * CA made with openssl.
 *
 * Trusting it:
 * - in-process: `front.fetch` (a fetch built on node:https with `ca`), e.g. verifyBundle({ fetch });
 * - child processes: `front.childEnv()` sets NODE_EXTRA_CA_CERTS to the CA file
 *   (Node reads it only at process start, so it cannot help the current process).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { createTestClient } from './s3.js'

const run = promisify(execFile)

export interface TestCa {
  dir: string
  caFile: string
  caPem: string
  certPem: string
  keyPem: string
}

/** A CA and a server certificate for 127.0.0.1 / localhost, made by openssl in a temp folder. */
export async function makeTestCertificates(): Promise<TestCa> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lu-https-'))
  const f = (name: string) => path.join(dir, name)
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=live-update test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ])
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ])
  await writeFile(
    f('server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  )
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.pem'),
    '-days',
    '2',
    '-extfile',
    f('server.ext'),
  ])
  return {
    dir,
    caFile: f('ca.pem'),
    caPem: await readFile(f('ca.pem'), 'utf8'),
    certPem: await readFile(f('server.pem'), 'utf8'),
    keyPem: await readFile(f('server.key'), 'utf8'),
  }
}

/** A fetch that trusts `caPem` (node:https; no undici). Supports method, headers, signal; GET/HEAD bodies only. */
export function fetchTrusting(caPem: string): typeof fetch {
  const agent = new https.Agent({ ca: caPem, keepAlive: false })
  const fetchImpl = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase()
    const headers = Object.fromEntries(
      new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined)).entries(),
    )
    return new Promise<Response>((resolve, reject) => {
      const req = https.request(url, { method, headers, agent, signal: init.signal ?? undefined }, (res) => {
        const responseHeaders = new Headers()
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue
          for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v)
        }
        const status = res.statusCode ?? 500
        const noBody = method === 'HEAD' || status === 204 || status === 304
        if (noBody) res.resume()
        const body = noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>)
        const response = new Response(body, { status, statusText: res.statusMessage, headers: responseHeaders })
        Object.defineProperty(response, 'url', { value: url.href })
        resolve(response)
      })
      req.on('error', reject)
      req.end()
    })
  }
  return fetchImpl as typeof fetch
}

export interface HttpsFront {
  /** `https://127.0.0.1:<port>` (no trailing slash). */
  origin: string
  /** Public URL template for stores: `https://127.0.0.1:<port>/{key}`. */
  urlTemplate: string
  caPem: string
  caFile: string
  /** fetch that trusts the front's CA (for in-process devices / verify). */
  fetch: typeof fetch
  /** `env` for a child process that must trust the front (NODE_EXTRA_CA_CERTS). */
  childEnv(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv
  /** GETs served, by path. */
  readonly requests: string[]
  close(): Promise<void>
}

/** Serve `bucket` over https on 127.0.0.1 (GET and HEAD, Range passed through). */
export async function startHttpsFront(options: {
  bucket: string
  client?: S3Client
  certificates?: TestCa
}): Promise<HttpsFront> {
  const client = options.client ?? createTestClient()
  const certs = options.certificates ?? (await makeTestCertificates())
  const ownsCerts = options.certificates === undefined
  const requests: string[] = []
  const server = https.createServer({ key: certs.keyPem, cert: certs.certPem }, async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'https://x').pathname
    requests.push(pathname)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    const key = pathname.slice(1).split('/').map(decodeURIComponent).join('/')
    try {
      const range = typeof req.headers.range === 'string' ? req.headers.range : undefined
      const out =
        req.method === 'HEAD'
          ? await client.send(new HeadObjectCommand({ Bucket: options.bucket, Key: key }))
          : await client.send(new GetObjectCommand({ Bucket: options.bucket, Key: key, Range: range }))
      const headers: Record<string, string | number> = { 'content-type': out.ContentType ?? 'application/octet-stream' }
      if (out.ContentLength !== undefined) headers['content-length'] = out.ContentLength
      if (out.ETag) headers.etag = out.ETag
      if (out.CacheControl) headers['cache-control'] = out.CacheControl
      if ('ContentRange' in out && out.ContentRange) headers['content-range'] = out.ContentRange
      res.writeHead('ContentRange' in out && out.ContentRange ? 206 : 200, headers)
      if (req.method === 'HEAD' || !('Body' in out) || !out.Body) return void res.end()
      const body = out.Body as Readable
      body.on('error', () => res.destroy())
      body.pipe(res)
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 502
      res
        .writeHead(status === 404 ? 404 : status >= 400 ? status : 502, { 'content-type': 'text/plain' })
        .end(req.method === 'HEAD' ? undefined : `front: ${status}\n`)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `https://127.0.0.1:${port}`
  return {
    origin,
    urlTemplate: `${origin}/{key}`,
    caPem: certs.caPem,
    caFile: certs.caFile,
    fetch: fetchTrusting(certs.caPem),
    childEnv: (base = process.env) => ({ ...base, NODE_EXTRA_CA_CERTS: certs.caFile }),
    requests,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      if (ownsCerts) await rm(certs.dir, { recursive: true, force: true })
    },
  }
}
