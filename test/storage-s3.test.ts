/**
 * The S3 store against a REAL S3 implementation (OpenStack Swift + s3api on loopback:
 * `bash scripts/s3-server.sh start`), with a fault-injecting proxy in between for the retry tests.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { inspect } from 'node:util'
import { Readable } from 'node:stream'
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { LiveUpdateError } from '../src/core/errors.js'
import { createStore, type StorageConfig, type StoreOptions } from '../src/core/storage/index.js'
import type { BundleBody, BundleStore, Logger } from '../src/core/types.js'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { startHttpsFront } from './support/https-front.js'
import {
  createTestBucket,
  createTestClient,
  listKeys,
  listUploads,
  objectExists,
  objectSha256,
  removeTestBucket,
  s3TestConfig,
} from './support/s3.js'

const MiB = 1024 * 1024
const BIG = 64 * MiB
const s3 = s3TestConfig()
const admin = createTestClient()

let bucket: string
let workDir: string
let bigFile: string
let bigSha: string

/** A 64 MiB file of random bytes, written in 1 MiB chunks (never all in memory). */
async function writeRandomFile(file: string, size: number): Promise<string> {
  const hash = createHash('sha256')
  const out = createWriteStream(file)
  for (let written = 0; written < size; written += MiB) {
    const chunk = randomBytes(Math.min(MiB, size - written))
    hash.update(chunk)
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
  return hash.digest('hex')
}

function fileBody(file: string, size: number): BundleBody {
  return { size, open: () => createReadStream(file, { highWaterMark: MiB }) }
}

function bufferBody(bytes: Buffer): BundleBody {
  return { size: bytes.length, open: () => Readable.from([bytes]) }
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (m) => void lines.push(`info ${m}`),
    warn: (m) => void lines.push(`warn ${m}`),
    debug: (m) => void lines.push(`debug ${m}`),
  }
}

function store(
  overrides: Partial<Extract<StorageConfig, { kind: 's3' }>> = {},
  options: StoreOptions = {},
): BundleStore {
  return createStore(
    {
      kind: 's3',
      bucket,
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      partSizeMiB: 5,
      ...overrides,
    },
    { idleTimeoutMs: 5_000, connectTimeoutMs: 3_000, ...options },
  )
}

beforeAll(async () => {
  bucket = await createTestBucket('storage-s3', admin)
  workDir = await mkdtemp(path.join(os.tmpdir(), 'lu-s3-test-'))
  bigFile = path.join(workDir, 'big.bin')
  bigSha = await writeRandomFile(bigFile, BIG)
})

afterAll(async () => {
  if (bucket) await removeTestBucket(bucket, admin)
  if (workDir) await rm(workDir, { recursive: true, force: true })
})

describe('S3 store on a real S3 server', () => {
  it('round-trips a small bundle (single PUT) with the right metadata and URL', async () => {
    const logger = recordingLogger()
    const s = store({}, { logger })
    const bytes = randomBytes(200_000)
    const key = 'com.example.app/1.0.0/small.zip'
    expect(await s.exists(key)).toBe(false)
    expect(await s.size(key)).toBeUndefined()
    const stored = await s.put(key, bufferBody(bytes))
    expect(stored).toEqual({ key, url: `${s3.endpoint}/${bucket}/com.example.app/1.0.0/small.zip`, size: bytes.length })
    expect(await objectSha256(bucket, key, admin)).toEqual({ sha256: sha256(bytes), size: bytes.length })
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
    expect(head.ContentType).toBe('application/octet-stream')
    expect(head.CacheControl).toBe('public, max-age=31536000, immutable')
    expect(await s.exists(key)).toBe(true)
    expect(await s.size(key)).toBe(bytes.length)
    // Swift answers 501 to If-None-Match: the store noticed and fell back to check-first.
    expect(logger.lines.join('\n')).toMatch(/does not support conditional writes/)
    expect(s.describe()).toBe(`s3://${bucket} (${s3.endpoint})`)
    expect(s.describe()).not.toContain(s3.secretAccessKey)
    await s.delete(key)
    expect(await s.exists(key)).toBe(false)
  })

  it('streams a 64 MiB bundle in 5 MiB parts byte-identically, reading ahead only the parts in flight, no leftover upload', async () => {
    // Memory is shown flat by `npm run bench:upload` (peak RSS per bundle size); here the
    // mechanism: each part goes to the server while the file is still being read, and the
    // reader never runs more than the in-flight parts ahead of what was sent.
    const proxy = await startFaultProxy({ upstream: s3.endpoint })
    let bytesRead = 0
    const readAtPartArrival: number[] = []
    proxy.setRules([{ match: 'UploadPart', fault: 'hook', hook: async () => void readAtPartArrival.push(bytesRead) }])
    const counted: BundleBody = {
      size: BIG,
      open: () => createReadStream(bigFile, { highWaterMark: MiB }).on('data', (chunk) => (bytesRead += chunk.length)),
    }
    const s = store({ endpoint: proxy.endpoint, partSizeMiB: 5, queueSize: 4 })
    const key = 'com.example.app/2.0.0/big.zip'
    try {
      const stored = await s.put(key, counted)
      expect(stored.size).toBe(BIG)
    } finally {
      await proxy.close()
    }
    console.log('MiB read when each part arrived:', readAtPartArrival.map((read) => Math.round(read / MiB)).join(' '))
    expect(readAtPartArrival).toHaveLength(13) // 12 parts of 5 MiB + 1 of 4 MiB
    expect(readAtPartArrival[0]).toBeLessThan(BIG / 2)
    readAtPartArrival.forEach((read, index) => {
      // Part index+1 is arriving: at most the 4 parts in flight, the next one and a read chunk ahead.
      expect(read).toBeLessThanOrEqual((index + 1 + 4 + 1) * 5 * MiB + MiB)
    })
    expect(await objectSha256(bucket, key, admin)).toEqual({ sha256: bigSha, size: BIG })
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
    expect(head.ETag).toMatch(/-13"$/)
    expect(await listUploads(bucket, 'com.example.app/2.0.0/', admin)).toEqual([])
  })

  it('never replaces an existing object: the second put fails and the first object is intact', async () => {
    const s = store()
    const key = 'com.example.app/3.0.0/same.zip'
    const first = randomBytes(50_000)
    await s.put(key, bufferBody(first))
    await expect(s.put(key, bufferBody(randomBytes(60_000)))).rejects.toMatchObject({
      code: 'storage_object_exists',
      stage: 'upload',
      input: 'object-key',
      message: expect.stringContaining(key),
    })
    // also through a multipart-sized body
    await expect(s.put(key, fileBody(bigFile, 11 * MiB))).rejects.toMatchObject({ code: 'storage_object_exists' })
    expect(await objectSha256(bucket, key, admin)).toEqual({ sha256: sha256(first), size: first.length })
    expect(await listUploads(bucket, 'com.example.app/3.0.0/', admin)).toEqual([])
  })

  it('serves the bundle through an https front (custom domain / CDN) with a test CA', async () => {
    const front = await startHttpsFront({ bucket, client: admin })
    try {
      const s = store({ publicUrlTemplate: front.urlTemplate })
      const bytes = randomBytes(123_456)
      const stored = await s.put('com.example.app/5.0.0/h t.zip', bufferBody(bytes))
      expect(stored.url).toBe(`${front.origin}/com.example.app/5.0.0/h%20t.zip`)
      expect(new URL(stored.url).protocol).toBe('https:')
      const response = await front.fetch(stored.url)
      expect(response.status).toBe(200)
      expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(bytes))
      expect((await front.fetch(`${front.origin}/com.example.app/5.0.0/missing.zip`)).status).toBe(404)
      // the plain global fetch does not trust the test CA
      await expect(fetch(stored.url)).rejects.toThrow()
      expect(front.childEnv({}).NODE_EXTRA_CA_CERTS).toBe(front.caFile)
    } finally {
      await front.close()
    }
  })
})

describe('S3 store failures', () => {
  it('wrong secret: SignatureDoesNotMatch, names s3-secret-access-key, never shows the secret', async () => {
    const secret = 'wrong-secret-Zx9Qv7Lm2Pk4'
    const s = store({ secretAccessKey: secret }, { maxAttempts: 2 })
    const error = await s.put('com.example.app/6.0.0/a.zip', bufferBody(randomBytes(1000))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LiveUpdateError)
    expect(error).toMatchObject({
      code: 'storage_credentials_invalid',
      input: 's3-secret-access-key',
      exitCode: 5,
      message: expect.stringMatching(/^(?!.*wrong-secret-Zx9Qv7Lm2Pk4).*SignatureDoesNotMatch.*s3-secret-access-key/),
    })
    expect(JSON.stringify(error)).not.toContain(secret)
    // JSON.stringify skips message and cause (not enumerable): what a debug dump shows, cause chain included.
    expect(inspect(error, { depth: 8 })).not.toContain(secret)
  })

  it('missing bucket: NoSuchBucket, names s3-bucket', async () => {
    const s = store({ bucket: `${bucket}-missing` }, { maxAttempts: 2 })
    await expect(s.put('com.example.app/6.0.0/a.zip', bufferBody(randomBytes(1000)))).rejects.toMatchObject({
      code: 'storage_bucket_missing',
      input: 's3-bucket',
      message: expect.stringMatching(new RegExp(`NoSuchBucket.*${bucket}-missing|${bucket}-missing.*NoSuchBucket`)),
    })
  })

  it('unreachable endpoint: ECONNREFUSED, names s3-endpoint', async () => {
    const port = await closedPort()
    const s = store({ endpoint: `http://127.0.0.1:${port}` }, { maxAttempts: 2 })
    await expect(s.put('com.example.app/6.0.0/a.zip', bufferBody(randomBytes(1000)))).rejects.toMatchObject({
      code: 'storage_endpoint_unreachable',
      input: 's3-endpoint',
      message: expect.stringContaining('ECONNREFUSED'),
    })
  })

  describe('through a fault-injecting proxy', () => {
    let proxy: FaultProxy
    beforeAll(async () => {
      proxy = await startFaultProxy({ upstream: s3.endpoint })
    })
    afterAll(async () => {
      await proxy?.close()
    })

    it('survives dropped connections, 500s, SlowDown and stalls: 64 MiB still byte-identical', async () => {
      proxy.setRules([
        { match: 'CreateMultipartUpload', nth: [1], fault: 'internal-error' },
        { match: 'UploadPart', nth: [2], fault: 'reset' },
        { match: 'UploadPart', nth: [4], fault: 'internal-error' },
        { match: 'UploadPart', nth: [6], fault: 'slow-down' },
        { match: 'UploadPart', nth: [8], fault: 'stall' },
        { match: 'UploadPart', every: 5, times: 2, fault: 'reset' },
        { match: 'CompleteMultipartUpload', nth: [1], fault: 'slow-down' },
      ])
      const key = 'com.example.app/7.0.0/faults.zip'
      const s = store({ endpoint: proxy.endpoint }, { idleTimeoutMs: 2_000 })
      const stored = await s.put(key, fileBody(bigFile, BIG))
      expect(stored.size).toBe(BIG)
      expect(proxy.injected.map((i) => i.fault).sort()).toEqual(
        ['internal-error', 'internal-error', 'reset', 'reset', 'reset', 'slow-down', 'slow-down', 'stall'].sort(),
      )
      expect(proxy.seen.CreateMultipartUpload).toBe(2) // one upload: the SDK retried the 500
      expect(await objectSha256(bucket, key, admin)).toEqual({ sha256: bigSha, size: BIG })
      expect(await listUploads(bucket, 'com.example.app/7.0.0/', admin)).toEqual([])
    })

    it('an object created after the existence check is not replaced: the conditional Complete refuses it', async () => {
      const key = 'com.example.app/4.0.0/race.zip'
      const other = randomBytes(70_000)
      // Another writer wins the race between our HeadObject and our CompleteMultipartUpload.
      proxy.setRules([
        {
          match: 'CompleteMultipartUpload',
          nth: [1],
          fault: 'hook',
          hook: async () => void (await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: other }))),
        },
      ])
      await expect(
        store({ endpoint: proxy.endpoint }).put(key, bufferBody(randomBytes(11 * MiB))),
      ).rejects.toMatchObject({ code: 'storage_object_exists' })
      expect(proxy.injected.at(-1)).toEqual({ kind: 'CompleteMultipartUpload', fault: 'hook' })
      expect(await objectSha256(bucket, key, admin)).toEqual({ sha256: sha256(other), size: other.length })
      expect(await listUploads(bucket, 'com.example.app/4.0.0/', admin)).toEqual([])
    })

    it('a Complete whose answer is lost is not uploaded again', async () => {
      // Swift treats the retried Complete as idempotent and answers 200.
      proxy.setRules([{ match: 'CompleteMultipartUpload', nth: [1], fault: 'drop-response' }])
      const before = { ...proxy.seen }
      const key = 'com.example.app/7.1.0/lost-complete.zip'
      const bytes = randomBytes(11 * MiB)
      const stored = await store({ endpoint: proxy.endpoint }).put(key, bufferBody(bytes))
      expect(stored.size).toBe(bytes.length)
      expect(proxy.injected.at(-1)).toEqual({ kind: 'CompleteMultipartUpload', fault: 'drop-response' })
      expect(proxy.seen.CreateMultipartUpload - (before.CreateMultipartUpload ?? 0)).toBe(1)
      expect(proxy.seen.CompleteMultipartUpload - (before.CompleteMultipartUpload ?? 0)).toBe(2)
      expect((await objectSha256(bucket, key, admin)).sha256).toBe(sha256(bytes))
      expect(await listUploads(bucket, 'com.example.app/7.1.0/', admin)).toEqual([])
    })

    it('...and when the retried Complete gets 412 (as on AWS), the ETag proves the object is ours', async () => {
      proxy.setRules([
        { match: 'CompleteMultipartUpload', nth: [1], fault: 'drop-response' },
        { match: 'CompleteMultipartUpload', nth: [2], fault: 'precondition-failed' },
      ])
      const before = { ...proxy.seen }
      const key = 'com.example.app/7.2.0/lost-complete-412.zip'
      const logger = recordingLogger()
      const bytes = randomBytes(11 * MiB)
      const stored = await store({ endpoint: proxy.endpoint }, { logger }).put(key, bufferBody(bytes))
      expect(stored.size).toBe(bytes.length)
      expect(proxy.injected.slice(-2).map((i) => i.fault)).toEqual(['drop-response', 'precondition-failed'])
      expect(proxy.seen.CreateMultipartUpload - (before.CreateMultipartUpload ?? 0)).toBe(1)
      expect(logger.lines.join('\n')).toMatch(/confirmation was lost \(ETag matches\)/)
      expect((await objectSha256(bucket, key, admin)).sha256).toBe(sha256(bytes))
    })

    it('a persistent fault ends in a clear error, the multipart upload aborted and no object left', async () => {
      proxy.setRules([{ match: 'UploadPart', fault: 'internal-error' }])
      const before = { ...proxy.seen }
      const key = 'com.example.app/8.0.0/persistent.zip'
      const logger = recordingLogger()
      const started = Date.now()
      await expect(
        store({ endpoint: proxy.endpoint }, { maxAttempts: 3, uploadAttempts: 2, logger, sleep: async () => {} }).put(
          key,
          fileBody(bigFile, BIG),
        ),
      ).rejects.toMatchObject({
        code: 'storage_service_unavailable',
        stage: 'upload',
        input: 's3-endpoint',
        message: expect.stringMatching(/UploadPart.*InternalError \(HTTP 500\)/),
      })
      expect(Date.now() - started).toBeLessThan(20_000)
      const delta = (kind: string) => (proxy.seen[kind] ?? 0) - (before[kind] ?? 0)
      // the whole upload was tried twice (a fresh multipart upload each time), each aborted
      expect(delta('CreateMultipartUpload')).toBe(2)
      expect(delta('AbortMultipartUpload')).toBeGreaterThanOrEqual(2)
      expect(delta('CompleteMultipartUpload')).toBe(0)
      // fail fast: far fewer part requests than 13 parts x 3 attempts x 2 uploads
      expect(delta('UploadPart')).toBeLessThanOrEqual(2 * 4 * 3)
      expect(logger.lines.join('\n')).toMatch(/Upload attempt 1 of 2 failed/)
      expect(await listUploads(bucket, 'com.example.app/8.0.0/', admin)).toEqual([])
      expect(await objectExists(bucket, key, admin)).toBe(false)
      expect(await listKeys(bucket, 'com.example.app/8.0.0/', admin)).toEqual([])
    })

    it('a persistent fault on a single-PUT bundle leaves no object either', async () => {
      proxy.setRules([{ match: 'PutObject', fault: 'slow-down' }])
      const key = 'com.example.app/8.1.0/persistent-small.zip'
      await expect(
        store({ endpoint: proxy.endpoint }, { maxAttempts: 2, uploadAttempts: 1 }).put(
          key,
          bufferBody(randomBytes(10_000)),
        ),
      ).rejects.toMatchObject({
        code: 'storage_service_unavailable',
        message: expect.stringContaining('SlowDown'),
      })
      expect(await objectExists(bucket, key, admin)).toBe(false)
    })
  })
})

describe('S3 client settings', () => {
  it('uses WHEN_REQUIRED checksums on custom endpoints, SDK defaults on AWS, and honours overrides', async () => {
    const { buildS3ClientConfig } = await import('../src/core/storage/index.js')
    const custom = buildS3ClientConfig({ bucket: 'b', region: 'auto', endpoint: 'https://x.r2.cloudflarestorage.com' })
    expect(custom.requestChecksumCalculation).toBe('WHEN_REQUIRED')
    expect(custom.responseChecksumValidation).toBe('WHEN_REQUIRED')
    const aws = buildS3ClientConfig({ bucket: 'b', region: 'eu-west-1' })
    expect(aws.requestChecksumCalculation).toBeUndefined()
    expect(aws.credentials).toBeUndefined() // the standard chain (env, OIDC web identity...)
    expect(
      buildS3ClientConfig({ bucket: 'b', region: 'eu-west-1', checksumMode: 'when_required' })
        .requestChecksumCalculation,
    ).toBe('WHEN_REQUIRED')
    expect(
      buildS3ClientConfig({ bucket: 'b', region: 'auto', endpoint: 'https://x', checksumMode: 'when_supported' })
        .requestChecksumCalculation,
    ).toBe('WHEN_SUPPORTED')
  })

  it('a stream PutObject with SDK-default checksums is what Swift refuses (why WHEN_REQUIRED matters)', async () => {
    // Documents the quirk the default guards against: aws-chunked trailers -> 501 on Swift.
    const { S3Client } = await import('@aws-sdk/client-s3')
    const sdkDefaults = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      maxAttempts: 1,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    })
    const bytes = randomBytes(1000)
    const error = await sdkDefaults
      .send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: 'quirk/chunked.bin',
          Body: Readable.from([bytes]),
          ContentLength: bytes.length,
        }),
      )
      .then(
        () => undefined,
        (e: unknown) => e as { $metadata?: { httpStatusCode?: number } },
      )
    expect(error?.$metadata?.httpStatusCode).toBe(501)
    sdkDefaults.destroy()
  })

  it("checks only programmer errors (the user-facing checks are config's, test/config.test.ts)", () => {
    const base = { kind: 's3' as const, bucket: 'b', region: 'us-east-1' }
    expect(() => createStore({ ...base, bucket: '' })).toThrow(TypeError)
    expect(() => createStore({ ...base, partSizeMiB: 4 })).toThrow(TypeError)
    expect(() => createStore({ ...base, queueSize: 0 })).toThrow(TypeError)
    expect(() => createStore(base)).not.toThrow()
  })
})

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}
