/**
 * AWS Lambda function URL events (payload format 2.0) to a Web Request and back. Header names
 * arrive lower-cased with repeated values joined by commas; cookies come separately. Binary or
 * content-encoded bodies travel base64-encoded both ways.
 */
export interface FunctionUrlEvent {
  version?: string
  rawPath: string
  rawQueryString?: string
  headers?: Record<string, string | undefined>
  cookies?: string[]
  body?: string
  isBase64Encoded?: boolean
  requestContext: { domainName?: string; http: { method: string } }
}

export interface FunctionUrlResult {
  statusCode: number
  headers: Record<string, string>
  body: string
  isBase64Encoded: boolean
  cookies?: string[]
}

export function toRequest(event: FunctionUrlEvent): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers.set(name, value)
  if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '))
  const host = event.requestContext.domainName ?? headers.get('host') ?? 'lambda.local'
  const query = event.rawQueryString ? `?${event.rawQueryString}` : ''
  const method = event.requestContext.http.method.toUpperCase()
  const hasBody = method !== 'GET' && method !== 'HEAD' && event.body !== undefined
  const body = hasBody ? (event.isBase64Encoded ? fromBase64(event.body as string) : (event.body as string)) : undefined
  return new Request(`https://${host}${event.rawPath || '/'}${query}`, { method, headers, body })
}

export async function toLambdaResult(response: Response): Promise<FunctionUrlResult> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value
  })
  const cookies = response.headers.getSetCookie?.() ?? []
  const type = response.headers.get('content-type') ?? ''
  const binary = response.headers.has('content-encoding') || !/^(?:text\/|application\/(?:[\w.+-]*\+)?json)/.test(type)
  const result: FunctionUrlResult = {
    statusCode: response.status,
    headers,
    body: binary ? toBase64(new Uint8Array(await response.arrayBuffer())) : await response.text(),
    isBase64Encoded: binary,
  }
  if (cookies.length) result.cookies = cookies
  return result
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}
