/**
 * An HTTP proxy between an S3 client and the test S3 server that injects faults by plan:
 * connections dropped mid-request, 500 InternalError / 503 SlowDown answers (S3 XML bodies),
 * stalled requests, or a fault on every matching request (a persistent outage).
 *
 * Point the client's endpoint at `proxy.endpoint`. Requests are forwarded byte for byte with the
 * original Host header, so SigV4 signatures (which cover the host) still verify upstream.
 *
 *   const proxy = await startFaultProxy({ upstream: s3TestConfig().endpoint, rules: [
 *     { match: 'UploadPart', every: 3, fault: 'reset' },          // drop every 3rd UploadPart
 *     { match: 'UploadPart', nth: [2], fault: 'stall' },           // stall the 2nd one
 *     { match: 'UploadPart', fault: 'internal-error' },            // every UploadPart fails
 *   ] })
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** The S3 operation a request is, from its method and query. */
export type S3RequestKind =
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'ListMultipartUploads'
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'CreateBucket'
  | 'ListObjects'
  | 'Other'

export type Fault =
  /** Read part of the request body, then destroy the connection (client sees ECONNRESET/EPIPE). */
  | 'reset'
  /** Drain the body, answer 500 InternalError. */
  | 'internal-error'
  /** Drain the body, answer 503 SlowDown (with Retry-After: 0). */
  | 'slow-down'
  /** Never read nor answer: the client's idle timeout must fire. */
  | 'stall'
  /** Forward the request (the server acts on it), then drop the connection instead of answering. */
  | 'drop-response'
  /** Drain the body, answer 412 PreconditionFailed (what AWS answers a conditional write on an existing key). */
  | 'precondition-failed'
  /** Run the rule's `hook` (e.g. create a conflicting object), then forward the request. */
  | 'hook'

export interface FaultRule {
  match: S3RequestKind | ((request: { kind: S3RequestKind; method: string; url: string }) => boolean)
  fault: Fault
  /** Fault every Nth matching request (1 = all). Default 1. */
  every?: number
  /** Fault exactly these matching requests (1-based), instead of `every`. */
  nth?: number[]
  /** Stop after this many faults from this rule. Default unlimited (persistent fault). */
  times?: number
  /** For `fault: 'hook'`: awaited before the request is forwarded. */
  hook?: () => Promise<void>
}

export interface FaultProxy {
  endpoint: string
  /** Requests seen per kind. */
  readonly seen: Record<string, number>
  /** Faults injected, in order. */
  readonly injected: { kind: S3RequestKind; fault: Fault }[]
  setRules(rules: FaultRule[]): void
  close(): Promise<void>
}

export function classifyS3Request(method: string, url: string): S3RequestKind {
  const parsed = new URL(url, 'http://x')
  const q = parsed.searchParams
  const path = parsed.pathname.replace(/^\/+/, '')
  const hasKey = path.includes('/') && !path.endsWith('/')
  if (method === 'PUT' && q.has('partNumber') && q.has('uploadId')) return 'UploadPart'
  if (method === 'POST' && q.has('uploads')) return 'CreateMultipartUpload'
  if (method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload'
  if (method === 'DELETE' && q.has('uploadId')) return 'AbortMultipartUpload'
  if (method === 'GET' && q.has('uploadId')) return 'ListParts'
  if (method === 'GET' && q.has('uploads')) return 'ListMultipartUploads'
  if (method === 'PUT' && hasKey) return 'PutObject'
  if (method === 'PUT') return 'CreateBucket'
  if (method === 'GET' && hasKey) return 'GetObject'
  if (method === 'GET') return 'ListObjects'
  if (method === 'HEAD') return 'HeadObject'
  if (method === 'DELETE' && hasKey) return 'DeleteObject'
  return 'Other'
}

function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`
}

export async function startFaultProxy(options: { upstream: string; rules?: FaultRule[] }): Promise<FaultProxy> {
  const upstream = new URL(options.upstream)
  let rules: { rule: FaultRule; matched: number; faults: number }[] = []
  const seen: Record<string, number> = {}
  const injected: { kind: S3RequestKind; fault: Fault }[] = []
  const sockets = new Set<import('node:net').Socket>()
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })

  const setRules = (next: FaultRule[]): void => {
    rules = next.map((rule) => ({ rule, matched: 0, faults: 0 }))
  }
  setRules(options.rules ?? [])

  /** Every matching rule counts the request; the first rule that hits decides the fault. */
  const pickFault = (kind: S3RequestKind, method: string, url: string): FaultRule | undefined => {
    let chosen: FaultRule | undefined
    for (const entry of rules) {
      const { rule } = entry
      const matches = typeof rule.match === 'function' ? rule.match({ kind, method, url }) : rule.match === kind
      if (!matches) continue
      entry.matched++
      if (chosen || (rule.times !== undefined && entry.faults >= rule.times)) continue
      const hit = rule.nth ? rule.nth.includes(entry.matched) : entry.matched % (rule.every ?? 1) === 0
      if (!hit) continue
      entry.faults++
      chosen = rule
    }
    return chosen
  }

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET'
    const url = req.url ?? '/'
    const kind = classifyS3Request(method, url)
    seen[kind] = (seen[kind] ?? 0) + 1
    const rule = pickFault(kind, method, url)
    const fault = rule?.fault
    if (fault) injected.push({ kind, fault })

    if (fault === 'stall') {
      req.pause()
      return // the client times out and closes; close() destroys what is left
    }
    if (fault === 'reset') {
      let received = 0
      const expected = Number(req.headers['content-length'] ?? 0)
      const cut = () => req.socket.destroy()
      if (expected === 0) return void setImmediate(cut)
      req.on('data', (chunk: Buffer) => {
        received += chunk.length
        if (received >= Math.min(expected / 2, 256 * 1024)) cut()
      })
      req.on('end', cut)
      return
    }
    if (fault === 'internal-error' || fault === 'slow-down' || fault === 'precondition-failed') {
      req.resume()
      req.on('end', () => {
        const [status, code, message] =
          fault === 'internal-error'
            ? [500, 'InternalError', 'We encountered an internal error. Please try again.']
            : fault === 'slow-down'
              ? [503, 'SlowDown', 'Please reduce your request rate.']
              : [412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold']
        const body = s3ErrorXml(code, message)
        res.writeHead(status, {
          'content-type': 'application/xml',
          'content-length': Buffer.byteLength(body),
          ...(status === 503 ? { 'retry-after': '0' } : {}),
        })
        res.end(method === 'HEAD' ? undefined : body)
      })
      return
    }

    if (fault === 'hook') {
      req.pause()
      void (rule?.hook?.() ?? Promise.resolve()).then(
        () => forwardRequest(req, res, fault),
        () => res.destroy(),
      )
      return
    }
    forwardRequest(req, res, fault)
  })

  const forwardRequest = (req: http.IncomingMessage, res: http.ServerResponse, fault: Fault | undefined): void => {
    const method = req.method ?? 'GET'
    const url = req.url ?? '/'
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method, path: url, headers: req.headers, agent },
      (upstreamRes) => {
        if (fault === 'drop-response') {
          upstreamRes.resume()
          upstreamRes.on('end', () => req.socket.destroy())
          return
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers)
        upstreamRes.pipe(res)
      },
    )
    forward.on('error', () => res.destroy())
    req.on('aborted', () => forward.destroy())
    res.on('close', () => {
      if (!res.writableFinished) forward.destroy()
    })
    req.pipe(forward)
  }
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    injected,
    setRules,
    async close() {
      for (const socket of sockets) socket.destroy()
      agent.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
