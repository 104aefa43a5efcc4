/**
 * Object keys and public URLs: rendering the `object-key` template, validating the result,
 * and turning a key into the URL devices download from (a `public-url` template, or derived
 * from the S3 endpoint, bucket and addressing style).
 */
import { LiveUpdateError } from '../errors.js'

export const DEFAULT_OBJECT_KEY_TEMPLATE = '{appId}/{version}/{hash}.zip'

/** Length of the `{hash}` placeholder: the first 16 hex chars of the encrypted bundle's SHA-256. */
export const KEY_HASH_LENGTH = 16

/** S3's limit on key length, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024

export interface ObjectKeyValues {
  appId: string
  version: string
  channel: string
  /** Short hash (see `keyHash`), not the full 64-char digest. */
  hash: string
}

const KEY_PLACEHOLDERS = ['appId', 'version', 'channel', 'hash'] as const
const URL_PLACEHOLDERS = ['key', 'bucket'] as const

/** `{hash}` value for an encrypted bundle: the first 16 hex chars of its SHA-256. */
export function keyHash(encryptedSha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(encryptedSha256)) {
    throw new LiveUpdateError('storage_hash_invalid', 'The encrypted bundle SHA-256 must be 64 lowercase hex chars.', {
      stage: 'upload',
    })
  }
  return encryptedSha256.slice(0, KEY_HASH_LENGTH)
}

function keyError(message: string): LiveUpdateError {
  return new LiveUpdateError('input_object_key_invalid', message, { stage: 'input', field: 'object-key' })
}

function urlError(message: string): LiveUpdateError {
  return new LiveUpdateError('input_public_url_invalid', message, { stage: 'input', field: 'public-url' })
}

/**
 * Replace `{name}` placeholders. Unknown names, unbalanced braces and missing values are errors
 * produced by `fail`. `{{` and `}}` are not supported (braces are never valid in these templates).
 */
function substitute(
  template: string,
  allowed: readonly string[],
  values: Record<string, string>,
  fail: (message: string) => LiveUpdateError,
): string {
  let out = ''
  let i = 0
  while (i < template.length) {
    const open = template.indexOf('{', i)
    const close = template.indexOf('}', i)
    if (close !== -1 && (open === -1 || close < open)) {
      throw fail(
        `Unbalanced '}' at position ${close} in template "${template}". Placeholders look like {${allowed[0]}}.`,
      )
    }
    if (open === -1) {
      out += template.slice(i)
      break
    }
    out += template.slice(i, open)
    const end = template.indexOf('}', open)
    if (end === -1) throw fail(`Unclosed '{' at position ${open} in template "${template}".`)
    const name = template.slice(open + 1, end)
    if (!allowed.includes(name)) {
      throw fail(
        `Unknown placeholder {${name}} in template "${template}". Known placeholders: ${allowed.map((p) => `{${p}}`).join(' ')}.`,
      )
    }
    const value = values[name]
    if (value === undefined) throw fail(`No value for placeholder {${name}} in template "${template}".`)
    out += value
    i = end + 1
  }
  return out
}

/** Why a string is not an acceptable object key, or undefined when it is fine. */
export function objectKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'the key is empty'
  if (key.startsWith('/')) return 'the key starts with "/"'
  if (key.endsWith('/')) return 'the key ends with "/" (that names a folder, not a file)'
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `the key is longer than ${MAX_KEY_BYTES} bytes`
  // Control characters break URLs and logs; backslashes become separators on some CDNs and on Windows.
  if (/[\u0000-\u001f\u007f\\]/.test(key)) return 'the key contains a control character or a backslash'
  for (const segment of key.split('/')) {
    if (segment === '') return 'the key contains an empty segment ("//")'
    if (segment === '..' || segment === '.') return `the key contains a "${segment}" segment`
  }
  return undefined
}

/** Throw (naming `object-key`) unless `key` is a valid object key. */
export function assertValidObjectKey(key: string): void {
  const problem = objectKeyProblem(key)
  if (problem)
    throw keyError(
      `Invalid object key "${key}": ${problem}. Check {{object-key}} and the app id / version / channel it uses.`,
    )
}

/**
 * Render an object key template with {appId} {version} {channel} {hash}.
 * Throws a LiveUpdateError naming the `object-key` input for an unknown placeholder, a template
 * that would give every bundle the same key (no {version} nor {hash}), or an invalid result
 * (leading '/', '.' or '..' segment, empty segment, control characters, more than 1024 bytes).
 */
export function renderObjectKey(template: string, values: ObjectKeyValues): string {
  if (!template.trim()) throw keyError('{{object-key}} is empty.')
  const key = substitute(template, KEY_PLACEHOLDERS, { ...values }, keyError)
  if (!template.includes('{version}') && !template.includes('{hash}')) {
    throw keyError(
      `{{object-key}} "${template}" has neither {version} nor {hash}: every bundle would get the same key.`,
    )
  }
  assertValidObjectKey(key)
  return key
}

/** Encode a key for a URL path, one segment at a time (RFC 3986: also !'()*), keeping the '/'. */
export function encodeKeyPath(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/')
}

/** Render a public URL template: {key} is URL-encoded per path segment, {bucket} as one segment. */
export function renderPublicUrl(template: string, key: string, bucket = ''): string {
  return substitute(
    template,
    URL_PLACEHOLDERS,
    { key: encodeKeyPath(key), bucket: encodeURIComponent(bucket) },
    urlError,
  )
}

export interface S3UrlSettings {
  bucket: string
  region: string
  endpoint?: string
  forcePathStyle?: boolean
}

/**
 * The URL of an object as the S3 API addresses it: AWS virtual-hosted
 * `https://<bucket>.s3.<region>.amazonaws.com/<key>` (path style for buckets with dots, whose
 * names break the wildcard certificate), path style `<endpoint>/<bucket>/<key>`, or virtual-hosted
 * on a custom endpoint `<scheme>://<bucket>.<host>/<key>` as the SDK addresses it.
 */
export function deriveS3ObjectUrl(settings: S3UrlSettings, key: string): string {
  const path = encodeKeyPath(key)
  const bucket = encodeURIComponent(settings.bucket)
  if (!settings.endpoint) {
    if (settings.forcePathStyle || settings.bucket.includes('.'))
      return `https://s3.${settings.region}.amazonaws.com/${bucket}/${path}`
    return `https://${bucket}.s3.${settings.region}.amazonaws.com/${path}`
  }
  const endpoint = new URL(settings.endpoint)
  const base = endpoint.pathname.replace(/\/+$/, '')
  if (settings.forcePathStyle) return `${endpoint.protocol}//${endpoint.host}${base}/${bucket}/${path}`
  return `${endpoint.protocol}//${bucket}.${endpoint.host}${base}/${path}`
}
