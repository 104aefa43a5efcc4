/**
 * URLs the user gives (s3-endpoint, capgo-api-url, webhook-url) are checked here, and every URL a
 * message or log shows goes through `safeUrl`: user:password and query strings (tokens, presigned
 * signatures) never reach a CI log, an error, the job summary or a PR comment.
 */
import { inputError } from './errors.js'
import type { InputErrorCode } from './error-codes.js'

/** URL without credentials, query or fragment (signed URLs must not leak into logs). */
export function safeUrl(value: string): string {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (url && url.origin !== 'null') return `${url.origin}${url.pathname}`
  // Not a URL with a host (e.g. 'user:pass@host/x?token=1'): drop what could be userinfo, query, fragment.
  return excerpt(value.replace(/[?#].*$/s, '').replace(/^([^/@]*\/\/)?[^/@]*@/, '$1'), 80)
}

/**
 * A URL template (`https://cdn.example.com/{key}`) as messages may quote it: no userinfo, query
 * or fragment, one line. `safeUrl` would percent-encode the placeholders.
 */
export function quoteTemplate(template: string): string {
  return excerpt(template.replace(/[?#].*$/s, '').replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/]*@/i, '$1'), 120)
}

/** One line, at most `max` characters, for error messages. */
export function excerpt(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim()
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine
}

/**
 * Parse the http(s) URL given in `input`, or throw an input error naming it. A URL with
 * credentials (user:password@) is refused: fetch would reject it with an error quoting the whole
 * URL, and every message would have to hide it; put credentials in their own (secret) input.
 */
export function parseHttpUrl(value: string, input: string, code: InputErrorCode, example: string): URL {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.host) {
    throw inputError(input, code, `{{${input}}} must be an http(s) URL such as ${example}; got '${safeUrl(value)}'.`)
  }
  if (url.username || url.password) {
    throw inputError(
      input,
      code,
      `{{${input}}} must not contain credentials (user:password@): remove them from ${safeUrl(value)}, and give credentials through their own secret inputs.`,
    )
  }
  return url
}
