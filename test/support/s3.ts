/**
 * The real S3 server used by tests (OpenStack Swift + s3api, see scripts/s3-server.sh).
 * Tests never skip when it is missing: they fail with the command that starts it.
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  type MultipartUpload,
} from '@aws-sdk/client-s3'
import type { Readable } from 'node:stream'

export interface S3TestConfig {
  endpoint: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  forcePathStyle: true
}

export const START_HINT = 'start it with: bash scripts/s3-server.sh start'

export function s3TestConfig(): S3TestConfig {
  return {
    endpoint: process.env.LIVE_UPDATE_TEST_S3_ENDPOINT || 'http://127.0.0.1:8080',
    region: 'us-east-1',
    accessKeyId: 'test:tester',
    secretAccessKey: 'testing',
    forcePathStyle: true,
  }
}

/** A client for test set-up and assertions (WHEN_REQUIRED checksums, as Swift needs). */
export function createTestClient(overrides: { endpoint?: string; secretAccessKey?: string } = {}): S3Client {
  const config = s3TestConfig()
  return new S3Client({
    endpoint: overrides.endpoint ?? config.endpoint,
    region: config.region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: config.accessKeyId,
      secretAccessKey: overrides.secretAccessKey ?? config.secretAccessKey,
    },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
  })
}

/** Throw a clear error unless the S3 server answers its healthcheck. */
export async function assertS3ServerUp(): Promise<void> {
  const { endpoint } = s3TestConfig()
  let detail: string
  try {
    const response = await fetch(new URL('/healthcheck', endpoint), { signal: AbortSignal.timeout(3000) })
    if (response.ok) return
    detail = `HTTP ${response.status} from ${endpoint}/healthcheck`
  } catch (error) {
    // duck-typed: errors from Node's fetch come from another realm under jest
    const cause = (error as { cause?: { code?: string; message?: string } })?.cause
    detail = `${endpoint} is unreachable (${cause?.code ?? cause?.message ?? String(error)})`
  }
  throw new Error(`The test S3 server is not running: ${detail}; ${START_HINT}`)
}

let bucketCounter = 0

/**
 * A fresh bucket for one test file: `lu-<label>-<time>-<random>`. Fails loudly when the server is
 * not running. Call `removeTestBucket` in afterAll to delete it with its objects and uploads.
 */
export async function createTestBucket(label = 'test', client: S3Client = createTestClient()): Promise<string> {
  await assertS3ServerUp()
  const safe = label
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 20)
    .replace(/-+$/, '')
  const bucket = `lu-${safe}-${Date.now().toString(36)}-${(bucketCounter++).toString(36)}${randomBytes(3).toString('hex')}`
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
  return bucket
}

/** In-progress multipart uploads in a bucket (optionally under a prefix). */
export async function listUploads(
  bucket: string,
  prefix?: string,
  client: S3Client = createTestClient(),
): Promise<MultipartUpload[]> {
  const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }))
  return out.Uploads ?? []
}

export async function listKeys(
  bucket: string,
  prefix?: string,
  client: S3Client = createTestClient(),
): Promise<string[]> {
  const keys: string[] = []
  let token: string | undefined
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    )
    for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key)
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  return keys
}

export async function objectExists(
  bucket: string,
  key: string,
  client: S3Client = createTestClient(),
): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
    return true
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false
    throw error
  }
}

/** SHA-256 (hex) and length of an object, streamed (GetObject). */
export async function objectSha256(
  bucket: string,
  key: string,
  client: S3Client = createTestClient(),
): Promise<{ sha256: string; size: number }> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of out.Body as Readable) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return { sha256: hash.digest('hex'), size }
}

/** An object's bytes (GetObject). */
export async function readObject(bucket: string, key: string, client: S3Client = createTestClient()): Promise<Buffer> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  const chunks: Buffer[] = []
  for await (const chunk of out.Body as Readable) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Delete a test bucket with everything in it (one DeleteObject at a time: Swift refuses batch deletes). */
export async function removeTestBucket(bucket: string, client: S3Client = createTestClient()): Promise<void> {
  for (const upload of await listUploads(bucket, undefined, client).catch(() => [])) {
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }))
      .catch(() => undefined)
  }
  for (const key of await listKeys(bucket, undefined, client)) {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined)
}
