/**
 * JSON replies. Large ones (an update with a 300-file manifest is ~200 KB, mostly signed hashes)
 * are gzip-compressed when the client accepts it: OkHttp and URLSession both ask for gzip and
 * inflate transparently, so the plugin never sees the difference.
 */
const COMPRESS_ABOVE = 1024

const baseHeaders = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }

/** A reply body serialised once and, if worth it, gzipped once: update replies are the same for every device. */
export interface PreparedJson {
  text: string
  gzip?: Uint8Array<ArrayBuffer>
}

export async function prepareJson(value: unknown): Promise<PreparedJson> {
  const text = JSON.stringify(value)
  if (text.length < COMPRESS_ABOVE) return { text }
  return { text, gzip: await gzip(new TextEncoder().encode(text)) }
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

export function acceptsGzip(request: Request): boolean {
  const header = request.headers.get('accept-encoding')
  if (!header) return false
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';')
    const q = params.find((p) => p.trim().startsWith('q='))
    return (coding === 'gzip' || coding === 'x-gzip') && (!q || Number(q.trim().slice(2)) > 0)
  })
}

export function preparedResponse(request: Request, prepared: PreparedJson, status = 200): Response {
  if (prepared.gzip && acceptsGzip(request)) {
    // `encodeBody: 'manual'` tells workerd the body is already encoded (it would gzip it again);
    // other runtimes ignore the extra field.
    const init = {
      status,
      headers: { ...baseHeaders, 'content-encoding': 'gzip', vary: 'accept-encoding' },
      encodeBody: 'manual',
    }
    return new Response(prepared.gzip, init as ResponseInit)
  }
  return new Response(prepared.text, { status, headers: { ...baseHeaders, vary: 'accept-encoding' } })
}

export function jsonResponse(value: unknown, status = 200, extraHeaders: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value), { status, headers: { ...baseHeaders, ...extraHeaders } })
}
