import { describe, expect, it } from '@jest/globals'
import { LiveUpdateError } from '../src/core/errors.js'
import {
  DEFAULT_OBJECT_KEY_TEMPLATE,
  deriveS3ObjectUrl,
  encodeKeyPath,
  keyHash,
  renderObjectKey,
  renderPublicUrl,
} from '../src/core/storage/object-key.js'

const values = { appId: 'com.example.app', version: '1.2.3', channel: 'production', hash: '0123456789abcdef' }

function caught(fn: () => unknown): LiveUpdateError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(LiveUpdateError)
    return error as LiveUpdateError
  }
  throw new Error('expected an error')
}

describe('renderObjectKey', () => {
  it('renders the default template with the short encrypted hash', () => {
    const sha = 'ab'.repeat(32)
    expect(keyHash(sha)).toBe('abababababababab')
    expect(renderObjectKey(DEFAULT_OBJECT_KEY_TEMPLATE, { ...values, hash: keyHash(sha) })).toBe(
      'com.example.app/1.2.3/abababababababab.zip',
    )
    expect(renderObjectKey('bundles/{channel}/{appId}-{version}-{hash}.zip', values)).toBe(
      'bundles/production/com.example.app-1.2.3-0123456789abcdef.zip',
    )
  })

  it('names the object-key input for an unknown placeholder', () => {
    const error = caught(() => renderObjectKey('{appId}/{verison}/{hash}.zip', values))
    expect(error.input).toBe('object-key')
    expect(error.code).toBe('input_object_key_invalid')
    expect(error.message).toContain('{verison}')
    expect(error.message).toContain('{version}') // lists the known ones
  })

  it('rejects unbalanced braces and templates that give every bundle the same key', () => {
    expect(caught(() => renderObjectKey('{appId/{hash}.zip', values)).input).toBe('object-key')
    expect(caught(() => renderObjectKey('{appId}}/{hash}.zip', values)).input).toBe('object-key')
    expect(caught(() => renderObjectKey('{appId}/{channel}.zip', values)).message).toMatch(/same key/)
    expect(caught(() => renderObjectKey('  ', values)).input).toBe('object-key')
  })

  it('rejects invalid keys: leading slash, dot segments, empty segments, too long', () => {
    expect(caught(() => renderObjectKey('/{appId}/{hash}.zip', values)).message).toMatch(/starts with "\/"/)
    expect(caught(() => renderObjectKey('{appId}/../{hash}.zip', values)).message).toMatch(/"\.\." segment/)
    expect(caught(() => renderObjectKey('{appId}/{version}/{hash}.zip', { ...values, version: '..' })).message).toMatch(
      /"\.\." segment/,
    )
    expect(caught(() => renderObjectKey('{appId}//{hash}.zip', values)).message).toMatch(/empty segment/)
    expect(caught(() => renderObjectKey('{appId}/{hash}/', values)).message).toMatch(/ends with/)
    expect(caught(() => renderObjectKey('{appId}/{hash}\n.zip', values)).message).toMatch(/control character/)
    const long = 'x'.repeat(1000)
    expect(caught(() => renderObjectKey(`${long}/{appId}/{hash}.zip`, values)).message).toMatch(/1024 bytes/)
    // multi-byte characters count in bytes, not chars
    expect(caught(() => renderObjectKey(`${'é'.repeat(510)}/{hash}`, values)).message).toMatch(/1024 bytes/)
    expect(renderObjectKey(`${'x'.repeat(1024 - 17)}/{hash}`, values)).toHaveLength(1024)
  })
})

describe('public URLs', () => {
  it('encodes the key per path segment', () => {
    expect(encodeKeyPath("a b/c+d/e#f?g/(x)'!*.zip")).toBe('a%20b/c%2Bd/e%23f%3Fg/%28x%29%27%21%2A.zip')
    expect(renderPublicUrl('https://updates.example.com/{key}', 'app/1.0 beta/h.zip')).toBe(
      'https://updates.example.com/app/1.0%20beta/h.zip',
    )
    expect(renderPublicUrl('https://cdn.example.com/{bucket}/{key}', 'a/b.zip', 'my bucket')).toBe(
      'https://cdn.example.com/my%20bucket/a/b.zip',
    )
  })

  // public-url template checks (placeholders, scheme, credentials) are config's: test/unit/config.test.ts.
  it('derives S3 URLs for AWS virtual-hosted, path style and custom endpoints', () => {
    expect(deriveS3ObjectUrl({ bucket: 'my-bucket', region: 'eu-west-3' }, 'app/1.0.0/h.zip')).toBe(
      'https://my-bucket.s3.eu-west-3.amazonaws.com/app/1.0.0/h.zip',
    )
    expect(deriveS3ObjectUrl({ bucket: 'my.bucket', region: 'eu-west-3' }, 'a.zip')).toBe(
      'https://s3.eu-west-3.amazonaws.com/my.bucket/a.zip',
    )
    expect(deriveS3ObjectUrl({ bucket: 'b', region: 'us-east-1', forcePathStyle: true }, 'a.zip')).toBe(
      'https://s3.us-east-1.amazonaws.com/b/a.zip',
    )
    expect(
      deriveS3ObjectUrl(
        { bucket: 'b', region: 'auto', endpoint: 'https://acc.r2.cloudflarestorage.com/', forcePathStyle: true },
        'x y.zip',
      ),
    ).toBe('https://acc.r2.cloudflarestorage.com/b/x%20y.zip')
    expect(
      deriveS3ObjectUrl({ bucket: 'b', region: 'nyc3', endpoint: 'https://nyc3.digitaloceanspaces.com' }, 'k.zip'),
    ).toBe('https://b.nyc3.digitaloceanspaces.com/k.zip')
    expect(
      deriveS3ObjectUrl(
        { bucket: 'b', region: 'us-east-1', endpoint: 'http://127.0.0.1:8080', forcePathStyle: true },
        'k.zip',
      ),
    ).toBe('http://127.0.0.1:8080/b/k.zip')
  })
})
