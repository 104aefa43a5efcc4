/**
 * Small JSON objects (release and channel records) on an S3-compatible store: read with the ETag,
 * write with If-Match / If-None-Match, list by prefix. Records are never cached for long
 * (`no-cache`): the responder and the next publish must see the latest one.
 */
import type { Readable } from 'node:stream'
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { StoredJson, WriteCondition } from '../types.js'
import { ConditionalWritesUnsupported, WriteConflict } from './conditions.js'
import { isConditionalConflict, isNotImplemented, providerError } from './s3-errors.js'

export const RECORD_CACHE_CONTROL = 'no-cache'

export interface S3JsonTarget {
  client: S3Client
  bucket: string
  describe(): string
  /** Turns a provider failure into a LiveUpdateError naming the input to check. */
  fail(operation: string, key: string, error: unknown): Error
}

async function readBody(body: unknown): Promise<string> {
  const stream = body as Readable & { transformToString?: () => Promise<string> }
  if (typeof stream?.transformToString === 'function') return stream.transformToString()
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks).toString('utf8')
}

export async function getJson(target: S3JsonTarget, key: string): Promise<StoredJson | undefined> {
  let text: string
  let etag: string
  try {
    const output = await target.client.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }))
    text = await readBody(output.Body)
    etag = output.ETag ?? ''
  } catch (error) {
    const info = providerError(error)
    if (info.status === 404 || info.code === 'NoSuchKey') return undefined
    throw target.fail('GetObject', key, error)
  }
  try {
    return { value: JSON.parse(text) as unknown, etag }
  } catch {
    return { value: text, etag }
  }
}

export async function putJson(
  target: S3JsonTarget,
  key: string,
  value: unknown,
  condition: WriteCondition = {},
): Promise<{ etag?: string }> {
  const body = `${JSON.stringify(value, null, 2)}\n`
  try {
    const output = await target.client.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        CacheControl: RECORD_CACHE_CONTROL,
        ...(condition.ifMatch ? { IfMatch: condition.ifMatch } : {}),
        ...(condition.ifNoneMatch ? { IfNoneMatch: condition.ifNoneMatch } : {}),
      }),
    )
    return { etag: output.ETag }
  } catch (error) {
    const conditional = Boolean(condition.ifMatch || condition.ifNoneMatch)
    if (conditional && isNotImplemented(error)) throw new ConditionalWritesUnsupported(key, target.describe())
    if (conditional && isConditionalConflict(error)) throw new WriteConflict(key)
    throw target.fail('PutObject', key, error)
  }
}

export async function listKeys(target: S3JsonTarget, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let token: string | undefined
  try {
    do {
      const page = await target.client.send(
        new ListObjectsV2Command({ Bucket: target.bucket, Prefix: prefix, ContinuationToken: token }),
      )
      for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key)
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
  } catch (error) {
    throw target.fail('ListObjectsV2', prefix, error)
  }
  return keys
}
