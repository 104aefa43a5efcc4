/**
 * The Node adapter (`live-update serve`): node:http requests to Web Requests and back, so the
 * responder itself stays free of node:* imports. Replies are small, so they are sent whole.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Responder } from '../server/handler.js'

export interface NodeServerOptions {
  port: number
  host?: string
  log?: (message: string) => void
}

export interface RunningServer {
  server: Server
  url: string
  close(): Promise<void>
}

export async function startNodeServer(responder: Responder, options: NodeServerOptions): Promise<RunningServer> {
  const log = options.log ?? (() => undefined)
  const pending = new Set<Promise<unknown>>()
  const context = {
    waitUntil(promise: Promise<unknown>) {
      const tracked = promise.catch(() => undefined).finally(() => pending.delete(tracked))
      pending.add(tracked)
    },
  }
  const server = createServer((req, res) => {
    handle(responder, req, res, context).catch((error) => {
      log(`responder: cannot answer ${req.method} ${req.url}: ${(error as Error)?.message ?? String(error)}`)
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
      res.end('{"error":"internal_error","message":"unexpected error"}')
    })
  })
  // Slow or stalled clients must not pin sockets: devices send small bodies at once.
  server.requestTimeout = 30_000
  server.headersTimeout = 10_000
  server.keepAliveTimeout = 5_000
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      })
      await Promise.all(pending)
    },
  }
}

async function handle(
  responder: Responder,
  req: IncomingMessage,
  res: ServerResponse,
  context: { waitUntil(p: Promise<unknown>): void },
): Promise<void> {
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1])
  const method = req.method ?? 'GET'
  const hasBody = method !== 'GET' && method !== 'HEAD'
  // Only the path and query matter to the responder; a fixed origin keeps a forged Host header out.
  const request = new Request(new URL(req.url ?? '/', 'http://localhost'), {
    method,
    headers,
    body: hasBody ? await readCapped(req) : undefined,
  })
  const response = await responder.fetch(request, context)
  const body = method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await response.arrayBuffer())
  const out: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') out[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length) out['set-cookie'] = cookies
  out['content-length'] = String(body.length)
  // A refused body (too large, wrong type) may be partly unread: close rather than read megabytes of it.
  const unread = hasBody && !req.complete
  if (unread) out.connection = 'close'
  res.writeHead(response.status, out)
  res.end(body, () => {
    if (unread) req.destroy()
  })
}

/**
 * Device bodies are small: buffered whole (cheaper than a Web stream per request), but never more
 * than one byte past the largest limit the handler applies, so an oversized body is still refused
 * there (413) without being read to its end.
 */
const BODY_CAP = 1024 * 1024 + 1

function readCapped(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (): void => {
      req.off('data', onData)
      req.off('end', done)
      req.off('error', reject)
      const body = Buffer.concat(chunks, size)
      resolve(new Uint8Array(body.buffer, body.byteOffset, Math.min(size, BODY_CAP)) as Uint8Array<ArrayBuffer>)
    }
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk)
      size += chunk.length
      // Stop reading (without destroying the socket: the 413 still has to go out).
      if (size >= BODY_CAP) {
        req.pause()
        done()
      }
    }
    req.on('data', onData)
    req.once('end', done)
    req.once('error', reject)
  })
}
