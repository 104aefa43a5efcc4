/**
 * S3-compatible BundleStore (AWS S3, R2, MinIO, B2, GCS interop, Spaces, Ceph, Swift s3api).
 *
 * put(): HeadObject (never overwrite) -> a lib-storage multipart upload streamed from the bundle's
 * temp file (memory ~ partSize x queueSize whatever the bundle size) with `If-None-Match: *` on the
 * PutObject / CompleteMultipartUpload where the provider supports it -> on failure the multipart
 * upload is aborted, and the abort is confirmed with a second AbortMultipartUpload once every part
 * request has settled (AWS recommends exactly that).
 *
 * Retries: each request is retried by the SDK (standard mode: 5xx, 429/SlowDown, resets, timeouts,
 * with backoff + jitter, `maxAttempts`), with connect and idle-socket timeouts so a stalled
 * connection becomes a retryable TimeoutError. Around that, the whole upload is retried (a fresh
 * multipart upload) only when it failed on a transient error after the SDK's own attempts, bounded
 * by attempts and a deadline, and never once the object exists (a Complete whose answer was lost is
 * recognised by its ETag and treated as success).
 */
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type ObjectCannedACL,
  type PutObjectCommandInput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { LiveUpdateError, describeError } from '../errors.js'
import { realSleep, retryWithBackoff } from '../retry.js'
import type { BundleBody, BundleStore, Logger, Sleep, StoredObject } from '../types.js'
import { assertValidObjectKey, deriveS3ObjectUrl, renderPublicUrl, validatePublicUrlTemplate } from './object-key.js'

export type ChecksumMode = 'auto' | 'when_required' | 'when_supported'

export interface S3StoreConfig {
  bucket: string
  region: string
  /** Custom endpoint (R2, MinIO, B2, GCS, Spaces...). Unset means AWS S3. */
  endpoint?: string
  forcePathStyle?: boolean
  /** Explicit credentials; when unset the standard AWS chain is used (env, OIDC web identity, profiles...). */
  accessKeyId?: string
  secretAccessKey?: string
  sessionToken?: string
  /** Canned ACL (e.g. `public-read`); none by default (bucket policy / CDN decide). */
  acl?: string
  cacheControl?: string
  /** e.g. `https://updates.example.com/{key}`; default derived from endpoint/bucket/addressing. */
  publicUrlTemplate?: string
  partSizeMiB?: number
  queueSize?: number
  /**
   * Flexible checksums. `auto`: WHEN_REQUIRED for custom endpoints (many S3-compatible servers
   * reject the SDK's aws-chunked trailers: aws-sdk-js-v3#6810, #6819), SDK defaults on AWS.
   */
  checksumMode?: ChecksumMode
}

/** Tuning and injected dependencies (tests inject a client, a logger, short timeouts). */
export interface S3StoreOptions {
  /** A ready client; the config's endpoint/credentials then only serve URLs and messages. */
  client?: S3Client
  logger?: Logger
  sleep?: Sleep
  now?: () => number
  /** SDK attempts per request, first included (default 5). */
  maxAttempts?: number
  /** TCP/TLS connect timeout (default 10 s). */
  connectTimeoutMs?: number
  /** A socket idle this long (a stalled request or response) fails the attempt (default 60 s). */
  idleTimeoutMs?: number
  /** Whole-upload attempts, first included (default 2): after the SDK's per-request retries. */
  uploadAttempts?: number
  /** Give up retrying whole uploads once this long has passed since put() started (default 30 min). */
  deadlineMs?: number
}

export const DEFAULT_CACHE_CONTROL = 'public, max-age=31536000, immutable'
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream'
export const DEFAULT_PART_SIZE_MIB = 8
export const DEFAULT_QUEUE_SIZE = 4
const MIB = 1024 * 1024

const noopLogger: Logger = { info() {}, warn() {}, debug() {} }

function configError(input: string, message: string): LiveUpdateError {
  return new LiveUpdateError('storage_invalid_config', message, { stage: 'input', input })
}

/** The S3Client configuration this store uses (exported for tests and for other stages). */
export function buildS3ClientConfig(config: S3StoreConfig, options: S3StoreOptions = {}): S3ClientConfig {
  const clientConfig: S3ClientConfig = {
    region: config.region || (config.endpoint ? 'us-east-1' : undefined),
    forcePathStyle: config.forcePathStyle ?? false,
    maxAttempts: options.maxAttempts ?? 5,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: options.connectTimeoutMs ?? 10_000,
      socketTimeout: options.idleTimeoutMs ?? 60_000,
    },
  }
  if (config.endpoint) clientConfig.endpoint = config.endpoint
  if (config.accessKeyId && config.secretAccessKey) {
    clientConfig.credentials = {
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      ...(config.sessionToken ? { sessionToken: config.sessionToken } : {}),
    }
  }
  const mode = config.checksumMode ?? 'auto'
  const checksum = mode === 'when_required' || (mode === 'auto' && config.endpoint) ? 'WHEN_REQUIRED' : mode === 'when_supported' ? 'WHEN_SUPPORTED' : undefined
  if (checksum) {
    clientConfig.requestChecksumCalculation = checksum
    clientConfig.responseChecksumValidation = checksum
  }
  return clientConfig
}

function validateConfig(config: S3StoreConfig): void {
  if (!config.bucket) throw configError('s3-bucket', 'The s3-bucket input is empty: name the bucket bundles are uploaded to.')
  if (!/^[a-zA-Z0-9._:-]{1,255}$/.test(config.bucket)) {
    throw configError('s3-bucket', `The bucket name "${config.bucket}" is not valid: use the bucket's name only (no s3:// prefix, no slash).`)
  }
  if (!config.region && !config.endpoint) throw configError('s3-region', 'The s3-region input is empty: set the bucket\'s region (e.g. us-east-1).')
  if (config.endpoint !== undefined) {
    let url: URL
    try {
      url = new URL(config.endpoint)
    } catch {
      throw configError('s3-endpoint', `The s3-endpoint "${config.endpoint}" is not a URL: use e.g. https://<account>.r2.cloudflarestorage.com.`)
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw configError('s3-endpoint', 'The s3-endpoint must be an http(s) URL.')
    if (url.username || url.password) throw configError('s3-endpoint', 'The s3-endpoint must not contain credentials.')
  }
  if (Boolean(config.accessKeyId) !== Boolean(config.secretAccessKey)) {
    const missing = config.accessKeyId ? 's3-secret-access-key' : 's3-access-key-id'
    throw configError(missing, `Set both s3-access-key-id and s3-secret-access-key, or neither (to use the AWS credential chain: env, OIDC).`)
  }
  if (config.partSizeMiB !== undefined && !(Number.isInteger(config.partSizeMiB) && config.partSizeMiB >= 5 && config.partSizeMiB <= 5120)) {
    throw configError('s3-part-size-mib', `The part size must be a whole number of MiB between 5 and 5120 (got ${config.partSizeMiB}).`)
  }
  if (config.queueSize !== undefined && !(Number.isInteger(config.queueSize) && config.queueSize >= 1 && config.queueSize <= 64)) {
    throw configError('s3-queue-size', `The upload concurrency must be between 1 and 64 (got ${config.queueSize}).`)
  }
  if (config.publicUrlTemplate) validatePublicUrlTemplate(config.publicUrlTemplate)
}

/** What an AWS SDK (or network) error says, in one shape. */
export interface ProviderError {
  /** Provider error code (`NoSuchBucket`), network code (`ECONNREFUSED`) or error name. */
  code: string
  status?: number
  message: string
}

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'ERR_SOCKET_CONNECTION_TIMEOUT', 'UND_ERR_SOCKET', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID',
])

export function providerError(error: unknown): ProviderError {
  const status = field(field(error, '$metadata'), 'httpStatusCode')
  let code = field(error, 'Code') ?? field(error, 'code') ?? field(error, 'name') ?? 'Error'
  let message = describeError(error)
  // The SDK wraps errors it does not recognise as Errors (e.g. from another realm) into
  // "AWS SDK error wrapper for Error: connect ECONNREFUSED ...": recover the network code.
  const wrapped = /^AWS SDK error wrapper for (?:\w*Error: )?(.*)$/s.exec(message)
  if (wrapped) {
    message = wrapped[1]
    const network = /\b(E[A-Z]{3,}|ERR_[A-Z_]+)\b/.exec(message)?.[1]
    if (network) code = network
  }
  if (message === 'UnknownError' || message === '') message = 'no error details (the response had no body)'
  return { code: String(code), status: typeof status === 'number' ? status : undefined, message }
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException',
  'InternalError', 'ServiceUnavailable', 'SlowDown', 'Throttling', 'ThrottlingException', 'RequestThrottled', 'TooManyRequests',
])

/** Worth a fresh attempt of the whole upload (after the SDK's own per-request retries)? */
export function isTransientStorageError(error: unknown): boolean {
  const info = providerError(error)
  if (info.status === 501) return false
  if (TRANSIENT_CODES.has(info.code)) return true
  return info.status !== undefined && (info.status >= 500 || info.status === 429)
}

function isConditionalConflict(error: unknown): boolean {
  const info = providerError(error)
  // AWS/R2/Ceph: 412 PreconditionFailed; Swift: 412 InvalidRequest; AWS: 409 ConditionalRequestConflict.
  return info.status === 412 || info.code === 'PreconditionFailed' || info.code === 'ConditionalRequestConflict'
}

function isNotImplemented(error: unknown): boolean {
  const info = providerError(error)
  return info.status === 501 || info.code === 'NotImplemented'
}

function unquote(etag: string | undefined): string | undefined {
  return etag?.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase()
}

/**
 * Watches the requests lib-storage sends for one upload: remembers the multipart upload id, the
 * part ETags and whether the object was committed; on the first part failure it cancels the other
 * in-flight parts and fails the remaining ones at once (lib-storage would otherwise upload every
 * remaining part, each with its own retries, before giving up).
 */
class UploadTracker {
  uploadId?: string
  committed = false
  firstError?: unknown
  failedCommand?: string
  singleMd5?: string
  readonly partEtags = new Map<number, string>()
  private readonly partsController = new AbortController()
  readonly client: S3Client

  constructor(private readonly real: S3Client) {
    const send = this.send.bind(this)
    this.client = new Proxy(real, {
      get(target, property) {
        return property === 'send' ? send : Reflect.get(target, property)
      },
    })
  }

  private async send(command: unknown): Promise<unknown> {
    const client = this.real as unknown as { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<Record<string, unknown>> }
    const name = (command as { constructor: { name: string } }).constructor.name.replace(/Command$/, '')
    const input = (command as { input: Record<string, unknown> }).input
    const isPart = command instanceof UploadPartCommand
    if (isPart && this.firstError !== undefined) throw this.firstError
    if (command instanceof PutObjectCommand && input.Body instanceof Uint8Array) {
      this.singleMd5 = createHash('md5').update(input.Body).digest('hex')
    }
    try {
      const output = await client.send(command, isPart ? { abortSignal: this.partsController.signal } : undefined)
      if (command instanceof CreateMultipartUploadCommand) this.uploadId = output.UploadId as string | undefined
      if (isPart) this.partEtags.set(input.PartNumber as number, String(output.ETag ?? ''))
      if (command instanceof CompleteMultipartUploadCommand || command instanceof PutObjectCommand) this.committed = true
      return output
    } catch (error) {
      if (this.firstError === undefined && !(command instanceof AbortMultipartUploadCommand)) {
        this.firstError = error
        this.failedCommand = name
        this.partsController.abort()
      }
      throw error
    }
  }

  /** The ETag S3 gives the object this upload would have committed (md5 / md5-of-md5s-N). */
  expectedEtag(): string | undefined {
    if (this.partEtags.size === 0) return this.singleMd5
    const digests: Buffer[] = []
    for (let part = 1; part <= this.partEtags.size; part++) {
      const etag = unquote(this.partEtags.get(part))
      if (!etag || !/^[0-9a-f]{32}$/.test(etag)) return undefined
      digests.push(Buffer.from(etag, 'hex'))
    }
    return `${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${this.partEtags.size}`
  }
}

interface HeadResult {
  size: number
  etag?: string
}

export class S3Store implements BundleStore {
  readonly client: S3Client
  private readonly config: S3StoreConfig
  private readonly logger: Logger
  private readonly sleep: Sleep
  private readonly now: () => number
  private readonly partSize: number
  private readonly queueSize: number
  private readonly uploadAttempts: number
  private readonly deadlineMs: number
  private readonly secrets: string[]
  /** undefined until the provider told us; false after a 501 to If-None-Match (Swift). */
  private conditionalPut: boolean | undefined
  private conditionalComplete: boolean | undefined

  constructor(config: S3StoreConfig, options: S3StoreOptions = {}) {
    validateConfig(config)
    this.config = config
    this.client = options.client ?? new S3Client(buildS3ClientConfig(config, options))
    this.logger = options.logger ?? noopLogger
    this.sleep = options.sleep ?? realSleep
    this.now = options.now ?? Date.now
    this.partSize = (config.partSizeMiB ?? DEFAULT_PART_SIZE_MIB) * MIB
    this.queueSize = config.queueSize ?? DEFAULT_QUEUE_SIZE
    this.uploadAttempts = Math.max(1, options.uploadAttempts ?? 2)
    this.deadlineMs = options.deadlineMs ?? 30 * 60_000
    this.secrets = [config.secretAccessKey, config.sessionToken].filter((s): s is string => Boolean(s && s.length >= 4))
  }

  describe(): string {
    const where = this.config.endpoint ? new URL(this.config.endpoint).origin : `AWS ${this.config.region}`
    return `s3://${this.config.bucket} (${where})`
  }

  publicUrl(key: string): string {
    if (this.config.publicUrlTemplate) return renderPublicUrl(this.config.publicUrlTemplate, key, this.config.bucket)
    return deriveS3ObjectUrl(this.config, key)
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined
  }

  async size(key: string): Promise<number | undefined> {
    return (await this.head(key))?.size
  }

  async delete(key: string): Promise<void> {
    assertValidObjectKey(key)
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: key }))
    } catch (error) {
      throw this.storageError('DeleteObject', key, error)
    }
  }

  async put(key: string, body: BundleBody): Promise<StoredObject> {
    assertValidObjectKey(key)
    if (await this.head(key)) throw this.existsError(key)
    const started = this.now()
    const retryable = new WeakSet<object>()
    await retryWithBackoff(
      async (attempt) => {
        try {
          await this.uploadOnce(key, body, attempt)
        } catch (error) {
          if (error instanceof RetryableUpload) {
            retryable.add(error.final)
            throw error.final
          }
          throw error
        }
      },
      {
        attempts: this.uploadAttempts,
        baseDelayMs: 2_000,
        maxDelayMs: 30_000,
        deadlineMs: this.deadlineMs,
        sleep: this.sleep,
        now: this.now,
        classify: (error) => ({ retry: typeof error === 'object' && error !== null && retryable.has(error) }),
        onRetry: ({ attempt, attempts, delayMs, error }) =>
          this.logger.warn(`Upload attempt ${attempt} of ${attempts} failed (${describeError(error)}); starting a fresh upload in ${Math.round(delayMs / 1000)} s.`),
      },
    )
    const stored = await this.head(key)
    if (stored?.size !== body.size) {
      throw new LiveUpdateError(
        'storage_size_mismatch',
        `After the upload, s3://${this.config.bucket}/${key} reports ${stored?.size ?? 'no object'} instead of ${body.size} bytes.`,
        { stage: 'upload', input: 's3-endpoint' },
      )
    }
    this.logger.debug(`Uploaded ${body.size} bytes to s3://${this.config.bucket}/${key} in ${this.now() - started} ms.`)
    return { key, url: this.publicUrl(key), size: body.size }
  }

  /** One upload (single PUT or multipart), cleaned up on failure. */
  private async uploadOnce(key: string, body: BundleBody, attempt: number): Promise<void> {
    const multipart = body.size > this.partSize
    const conditional = multipart ? this.conditionalComplete !== false : this.conditionalPut !== false
    const tracker = new UploadTracker(this.client)
    const stream: Readable = body.open()
    const params: PutObjectCommandInput = {
      Bucket: this.config.bucket,
      Key: key,
      Body: stream,
      ContentLength: body.size,
      ContentType: DEFAULT_CONTENT_TYPE,
      CacheControl: this.config.cacheControl || DEFAULT_CACHE_CONTROL,
      ...(this.config.acl ? { ACL: this.config.acl as ObjectCannedACL } : {}),
      // lib-storage copies params to every command; only PutObject and CompleteMultipartUpload send it.
      ...(conditional ? { IfNoneMatch: '*' } : {}),
    }
    const upload = new Upload({ client: tracker.client, params, partSize: this.partSize, queueSize: this.queueSize, leavePartsOnError: false })
    try {
      await upload.done()
      if (conditional) {
        if (multipart) this.conditionalComplete = true
        else this.conditionalPut = true
      }
      return
    } catch (raw) {
      stream.destroy()
      const error = tracker.firstError ?? raw
      const leftover = await this.confirmAborted(key, tracker)
      if (conditional && isNotImplemented(error) && (tracker.failedCommand === 'PutObject' || tracker.failedCommand === 'CompleteMultipartUpload')) {
        // Swift answers 501 to If-None-Match: fall back to the existence check made before the upload.
        if (multipart) this.conditionalComplete = false
        else this.conditionalPut = false
        this.logger.info(`${this.describe()} does not support conditional writes (If-None-Match); relying on the existence check made before the upload.`)
        if (leftover) throw this.storageError(tracker.failedCommand, key, error, leftover)
        if (await this.head(key)) throw this.existsError(key)
        return this.uploadOnce(key, body, attempt)
      }
      if (isConditionalConflict(error) || (tracker.failedCommand === 'CompleteMultipartUpload' && isTransientStorageError(error))) {
        // The object appeared during the upload: someone else's, or ours when a retried
        // Complete/Put hit the object its lost first answer had created.
        if (await this.isOurs(key, tracker, body.size)) return
        if (isConditionalConflict(error)) throw this.existsError(key)
      }
      const final = this.storageError(tracker.failedCommand ?? 'upload', key, error, leftover)
      if (!leftover && !tracker.committed && isTransientStorageError(error)) {
        // Never start again over an object that exists now.
        const now = await this.head(key).catch(() => undefined)
        if (now) {
          if (await this.isOurs(key, tracker, body.size)) return
          throw this.existsError(key)
        }
        throw new RetryableUpload(final)
      }
      throw final
    } finally {
      stream.destroy()
    }
  }

  private async isOurs(key: string, tracker: UploadTracker, size: number): Promise<boolean> {
    const head = await this.head(key).catch(() => undefined)
    const expected = tracker.expectedEtag()
    const ours = head !== undefined && head.size === size && expected !== undefined && unquote(head.etag) === expected
    if (ours) this.logger.warn(`The upload of ${key} was committed although its confirmation was lost (ETag matches); keeping it.`)
    return ours
  }

  /**
   * After a failed upload (every part request settled), abort the multipart upload once more:
   * lib-storage already did, but parts still in flight during that abort can survive it.
   * Returns a description of what may be left behind, or undefined when nothing is.
   */
  private async confirmAborted(key: string, tracker: UploadTracker): Promise<string | undefined> {
    if (!tracker.uploadId || tracker.committed) return undefined
    const command = new AbortMultipartUploadCommand({ Bucket: this.config.bucket, Key: key, UploadId: tracker.uploadId })
    try {
      await retryWithBackoff(() => this.client.send(command), {
        attempts: 3,
        baseDelayMs: 500,
        maxDelayMs: 4_000,
        sleep: this.sleep,
        classify: (error) => ({ retry: isTransientStorageError(error) }),
      })
      return undefined
    } catch (error) {
      const info = providerError(error)
      // Already gone (AWS NoSuchUpload; Swift answers NoSuchKey): that is the confirmation.
      if (info.status === 404 || info.code === 'NoSuchUpload' || info.code === 'NoSuchKey') return undefined
      return `The incomplete multipart upload ${tracker.uploadId} could not be aborted (${info.code}); abort it (aws s3api abort-multipart-upload) or add an AbortIncompleteMultipartUpload lifecycle rule.`
    }
  }

  /** HeadObject; undefined when there is no object (or no bucket: HEAD cannot tell). */
  private async head(key: string): Promise<HeadResult | undefined> {
    assertValidObjectKey(key)
    try {
      const output = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: key }))
      return { size: output.ContentLength ?? 0, etag: output.ETag }
    } catch (error) {
      const info = providerError(error)
      if (info.status === 404) return undefined
      if (info.status !== undefined && info.status < 500 && field(error, 'Code') === undefined) {
        // HEAD answers have no body, so no error code: ask for one byte to learn it.
        throw await this.diagnose(key, error)
      }
      throw this.storageError('HeadObject', key, error)
    }
  }

  private async diagnose(key: string, headError: unknown): Promise<LiveUpdateError> {
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: key, Range: 'bytes=0-0' }))
      ;(output.Body as Readable | undefined)?.destroy?.()
      return this.storageError('HeadObject', key, headError)
    } catch (error) {
      return this.storageError('HeadObject', key, providerError(error).code === 'NoSuchKey' ? headError : error)
    }
  }

  private existsError(key: string): LiveUpdateError {
    return new LiveUpdateError(
      'storage_object_exists',
      `An object already exists at s3://${this.config.bucket}/${key}; bundles are never overwritten. Publish a new version, or change the object-key template.`,
      { stage: 'upload', input: 'object-key' },
    )
  }

  private scrub(text: string): string {
    let out = text
    for (const secret of this.secrets) out = out.split(secret).join('***')
    return out
  }

  /** A LiveUpdateError naming the provider's code and the input to check. Never holds secrets. */
  storageError(operation: string, key: string, error: unknown, extra?: string): LiveUpdateError {
    const info = providerError(error)
    const { code, input, hint } = this.explain(info)
    const status = info.status ? ` (HTTP ${info.status})` : ''
    const message = `S3 ${operation} of s3://${this.config.bucket}/${key} at ${this.describe()} failed: ${info.code}${status}: ${info.message.replace(/\.$/, '')}. ${hint}${extra ? ` ${extra}` : ''}`
    return new LiveUpdateError(code, this.scrub(message), { stage: 'upload', input, cause: error })
  }

  private explain(info: ProviderError): { code: string; input?: string; hint: string } {
    const { bucket, region } = this.config
    const endpoint = this.config.endpoint ? `the endpoint ${new URL(this.config.endpoint).origin}` : `AWS region ${region}`
    switch (info.code) {
      case 'NoSuchBucket':
        return { code: 'storage_no_such_bucket', input: 's3-bucket', hint: `The bucket "${bucket}" does not exist at ${endpoint}: check the s3-bucket input (and s3-endpoint / s3-region).` }
      case 'InvalidBucketName':
        return { code: 'storage_invalid_bucket', input: 's3-bucket', hint: 'Check the s3-bucket input.' }
      case 'SignatureDoesNotMatch':
        return { code: 'storage_bad_credentials', input: 's3-secret-access-key', hint: 'The secret access key does not match the access key id: check the s3-secret-access-key input (or AWS_SECRET_ACCESS_KEY).' }
      case 'InvalidAccessKeyId':
        return { code: 'storage_bad_credentials', input: 's3-access-key-id', hint: 'The storage does not know this access key id: check the s3-access-key-id input (or AWS_ACCESS_KEY_ID).' }
      case 'InvalidToken':
      case 'ExpiredToken':
      case 'TokenRefreshRequired':
        return { code: 'storage_bad_credentials', input: 's3-access-key-id', hint: 'The session token is invalid or expired: check the credentials step (OIDC role, AWS_SESSION_TOKEN) or the s3-access-key-id / s3-secret-access-key inputs.' }
      case 'CredentialsProviderError':
        return { code: 'storage_no_credentials', input: 's3-access-key-id', hint: 'No credentials found: set s3-access-key-id and s3-secret-access-key, or configure AWS credentials (env or OIDC role) before this step.' }
      case 'AccessDenied':
      case 'AllAccessDisabled':
      case 'AccountProblem':
        return { code: 'storage_access_denied', input: 's3-access-key-id', hint: `These credentials may not write to "${bucket}": grant s3:PutObject, s3:GetObject and s3:AbortMultipartUpload on its objects (or check the s3-bucket input).` }
      case 'AuthorizationHeaderMalformed':
      case 'PermanentRedirect':
      case 'IllegalLocationConstraintException':
      case 'InvalidRegion':
        return { code: 'storage_wrong_region', input: 's3-region', hint: `The bucket is not in region ${region}: check the s3-region input.` }
      case 'RequestTimeTooSkewed':
        return { code: 'storage_clock_skew', hint: 'The machine clock is too far from the storage clock.' }
      case 'NotImplemented':
        return { code: 'storage_not_supported', input: 's3-endpoint', hint: `${endpoint} does not implement this S3 request: check the s3-endpoint input (and the s3-checksum input: when_required suits most S3-compatible servers).` }
      case 'EntityTooSmall':
      case 'EntityTooLarge':
        return { code: 'storage_upload_failed', input: 's3-part-size-mib', hint: 'The provider refused the part size: check the s3-part-size-mib input.' }
    }
    if (NETWORK_CODES.has(info.code) || info.code === 'TimeoutError') {
      return { code: 'storage_unreachable', input: 's3-endpoint', hint: `Could not talk to ${endpoint} (after retries): check the s3-endpoint input and that the storage is reachable from this runner.` }
    }
    if (info.status === 403) {
      return { code: 'storage_access_denied', input: 's3-access-key-id', hint: 'Access was refused: check the s3-access-key-id / s3-secret-access-key inputs and the key\'s permissions on the bucket.' }
    }
    if (info.status === 301 || info.status === 307) {
      return { code: 'storage_wrong_region', input: 's3-region', hint: 'The storage redirected the request: check the s3-region (and s3-endpoint / s3-force-path-style) inputs.' }
    }
    if (info.status !== undefined && (info.status >= 500 || info.status === 429)) {
      return { code: 'storage_unavailable', input: 's3-endpoint', hint: `${endpoint} kept failing after retries; try again later, and check the provider's status.` }
    }
    return { code: 'storage_upload_failed', hint: 'Check the storage settings (s3-bucket, s3-endpoint, s3-region, credentials).' }
  }
}

/** Carries the final error of an upload attempt that may be retried as a whole. */
class RetryableUpload extends Error {
  constructor(readonly final: LiveUpdateError) {
    super(final.message)
  }
}
