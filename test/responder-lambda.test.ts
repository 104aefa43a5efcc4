/**
 * The AWS Lambda entry point (dist/lambda.mjs, built by `npm run bundle`) invoked with function
 * URL events (payload format 2.0) as AWS builds them, state read from the S3 bucket over HTTP.
 */
import { gunzipSync } from 'node:zlib'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { responderScenarios } from './support/responder-scenarios.js'
import type { SendInit } from './support/device-requests.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

interface Result {
  statusCode: number
  headers: Record<string, string>
  body: string
  isBase64Encoded: boolean
}

function functionUrlEvent(target: string, init: SendInit = {}) {
  const url = new URL(target, 'https://abc123.lambda-url.eu-west-1.on.aws')
  const headers: Record<string, string> = { host: url.host, 'x-forwarded-proto': 'https' }
  for (const [name, value] of Object.entries(init.headers ?? {})) headers[name.toLowerCase()] = value
  const method = init.method ?? 'GET'
  const body = init.body === undefined ? undefined : Buffer.from(init.body)
  // Function URLs base64-encode bodies they do not consider text.
  const text = /json|text/.test(headers['content-type'] ?? '')
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      domainName: url.host,
      http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'okhttp/4.12.0' },
    },
    ...(body
      ? { body: text ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !text }
      : { isBase64Encoded: false }),
  }
}

/** What a client sees from the function URL: base64 undone, gzip inflated (as OkHttp does). */
function toResponse(result: Result): Response {
  let bytes = result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body, 'utf8')
  if (result.headers['content-encoding'] === 'gzip') bytes = gunzipSync(bytes)
  return new Response(bytes, { status: result.statusCode, headers: result.headers })
}

responderScenarios('aws lambda (dist/lambda.mjs)', async (env) => {
  process.env.STATE_URL = env.STATE_URL
  process.env.CACHE_TTL_SECONDS = env.CACHE_TTL_SECONDS
  const { handler } = (await import(pathToFileURL(path.join(root, 'dist/lambda.mjs')).href)) as {
    handler: (event: unknown) => Promise<Result>
  }
  return {
    send: async (target, init) => toResponse(await handler(functionUrlEvent(target, init))),
    async close() {
      delete process.env.STATE_URL
      delete process.env.CACHE_TTL_SECONDS
    },
  }
})
