/**
 * A plain-http server on 127.0.0.1 in front of a (private) test bucket, standing in for the
 * bucket's public URL or a CDN: `GET http://127.0.0.1:<port>/<key>` streams the object (Range
 * passed through), 404 for a missing key. Plain http, so child runtimes (workerd, a spawned CLI)
 * need no test CA; the https front (https-front.ts) covers TLS.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Readable } from 'node:stream'
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { createTestClient } from './s3.js'

export interface BucketHttp {
  origin: string
  /** GETs served, by key. */
  readonly requests: string[]
  close(): Promise<void>
}

export async function startBucketHttp(bucket: string, client: S3Client = createTestClient()): Promise<BucketHttp> {
  const requests: string[] = []
  const server = http.createServer(async (req, res) => {
    const key = new URL(req.url ?? '/', 'http://x').pathname.slice(1).split('/').map(decodeURIComponent).join('/')
    requests.push(key)
    if (req.method !== 'GET') return void res.writeHead(405, { allow: 'GET' }).end()
    try {
      const range = typeof req.headers.range === 'string' ? req.headers.range : undefined
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }))
      const headers: Record<string, string | number> = { 'content-type': out.ContentType ?? 'application/octet-stream' }
      if (out.ContentLength !== undefined) headers['content-length'] = out.ContentLength
      if (out.ContentRange) headers['content-range'] = out.ContentRange
      res.writeHead(out.ContentRange ? 206 : 200, headers)
      const body = out.Body as Readable
      body.on('error', () => res.destroy())
      body.pipe(res)
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 502
      res.writeHead(status === 404 ? 404 : 502, { 'content-type': 'text/plain' }).end(`bucket-http: ${status}\n`)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
