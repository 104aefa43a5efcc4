/**
 * A small S3 stand-in that honours conditional writes as AWS S3 does (the loopback Swift server
 * answers 501 to them): path-style GET / HEAD / PUT / DELETE of objects and ListObjectsV2, with
 * `If-Match` and `If-None-Match: *` on PUT checked atomically (412 PreconditionFailed). Enough for
 * the records' conditional path with the real AWS SDK; it does not check signatures.
 */
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ConditionalS3 {
  endpoint: string
  objects: Map<string, { body: Buffer; etag: string }>
  /** Counts of PUTs answered 412. */
  conflicts: number
  close(): Promise<void>
}

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export async function startConditionalS3(): Promise<ConditionalS3> {
  const objects = new Map<string, { body: Buffer; etag: string }>()
  const state = { conflicts: 0 }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const [, bucket = '', ...rest] = url.pathname.split('/')
      const key = decodeURIComponent(rest.join('/'))
      const id = `${bucket}/${key}`
      const error = (status: number, code: string) => {
        res.writeHead(status, { 'content-type': 'application/xml' })
        res.end(
          req.method === 'HEAD' ? undefined : xml(`<Error><Code>${code}</Code><Message>${code}</Message></Error>`),
        )
      }
      if (req.method === 'GET' && !key && url.searchParams.get('list-type') === '2') {
        const prefix = url.searchParams.get('prefix') ?? ''
        const keys = [...objects.keys()]
          .filter((name) => name.startsWith(`${bucket}/${prefix}`))
          .map((name) => name.slice(bucket.length + 1))
          .sort()
        const contents = keys
          .map(
            (name) =>
              `<Contents><Key>${escape(name)}</Key><Size>${objects.get(`${bucket}/${name}`)!.body.length}</Size></Contents>`,
          )
          .join('')
        res.writeHead(200, { 'content-type': 'application/xml' })
        res.end(
          xml(
            `<ListBucketResult><Name>${bucket}</Name><Prefix>${escape(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`,
          ),
        )
        return
      }
      const found = objects.get(id)
      if (req.method === 'GET' || req.method === 'HEAD') {
        if (!found) return error(404, 'NoSuchKey')
        res.writeHead(200, {
          etag: found.etag,
          'content-length': String(found.body.length),
          'content-type': 'application/json',
        })
        res.end(req.method === 'HEAD' ? undefined : found.body)
        return
      }
      if (req.method === 'PUT') {
        const ifMatch = req.headers['if-match']
        const ifNoneMatch = req.headers['if-none-match']
        if ((ifNoneMatch === '*' && found) || (ifMatch !== undefined && found?.etag !== ifMatch)) {
          state.conflicts++
          return error(412, 'PreconditionFailed')
        }
        const body = Buffer.concat(chunks)
        const etag = `"${createHash('md5').update(body).digest('hex')}"`
        objects.set(id, { body, etag })
        res.writeHead(200, { etag })
        res.end()
        return
      }
      if (req.method === 'DELETE') {
        objects.delete(id)
        res.writeHead(204)
        res.end()
        return
      }
      error(501, 'NotImplemented')
    })
  })
  server.keepAliveTimeout = 1
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    objects,
    get conflicts() {
      return state.conflicts
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
