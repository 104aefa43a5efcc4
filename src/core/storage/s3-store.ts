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
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type ObjectCannedACL,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { LiveUpdateError, describeError } from '../errors.js'
import { cancellableSleep, cancellationOf, throwIfCancelled } from '../cancel.js'
import { realSleep, retryWithBackoff } from '../retry.js'
import type { BundleBody, BundleStore, Logger, Sleep, StoredJson, StoredObject, WriteCondition } from '../types.js'
import { getJson, listKeys, putJson, type S3JsonTarget } from './s3-json.js'
import { assertValidObjectKey, deriveS3ObjectUrl, renderPublicUrl } from './object-key.js'
import { buildS3ClientConfig, describeBucket, type S3ClientTuning, type S3ConnectionConfig } from './s3-client.js'
import {
  hasProviderCode,
  isConditionalConflict,
  isNotImplemented,
  isTransientStorageError,
  providerError,
  s3OperationError,
} from './s3-errors.js'

export interface S3StoreConfig extends S3ConnectionConfig {
  /** Canned ACL (e.g. `public-read`); none by default (bucket policy / CDN decide). */
  acl?: string
  cacheControl?: string
  /** e.g. `https://updates.example.com/{key}`; default derived from endpoint/bucket/addressing. */
  publicUrlTemplate?: string
  partSizeMiB?: number
  queueSize?: number
}

/** Tuning and injected dependencies (tests inject a client, a logger, short timeouts). */
export interface S3StoreOptions extends S3ClientTuning {
  /** A ready client; the config's endpoint/credentials then only serve URLs and messages. */
  client?: S3Client
  logger?: Logger
  sleep?: Sleep
  now?: () => number
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

/**
 * Programmer-error checks only: every user-facing check of these values (with its message) runs
 * once, in config (src/core/config/storage.ts), before any work.
 */
function assertConfig(config: S3StoreConfig): void {
  if (!config.bucket) throw new TypeError('S3Store: bucket is required')
  if (
    config.partSizeMiB !== undefined &&
    !(Number.isInteger(config.partSizeMiB) && config.partSizeMiB >= 5 && config.partSizeMiB <= 5120)
  ) {
    throw new TypeError(`S3Store: partSizeMiB must be a whole number from 5 to 5120, got ${config.partSizeMiB}`)
  }
  if (
    config.queueSize !== undefined &&
    !(Number.isInteger(config.queueSize) && config.queueSize >= 1 && config.queueSize <= 64)
  ) {
    throw new TypeError(`S3Store: queueSize must be from 1 to 64, got ${config.queueSize}`)
  }
}

function unquote(etag: string | undefined): string | undefined {
  return etag?.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase()
}

/**
 * Watches the requests lib-storage sends for one upload: remembers the multipart upload id, the
 * part ETags and whether the object was committed; on the first failure it fails the in-flight and
 * remaining parts at once (lib-storage would otherwise upload every remaining part, each with its
 * own retries, before giving up). Commands are told apart by the SDK's `context.commandName`, which
 * survives bundling and minifying (class names do not).
 */
class UploadTracker {
  uploadId?: string
  committed = false
  firstError?: unknown
  failedCommand?: string
  singleMd5?: string
  readonly partEtags = new Map<number, string>()
  /** Ends the part requests on the wire (their sockets) at the first failure or a cancel. */
  readonly partsController = new AbortController()
  /** The part requests really on the wire: the confirming abort waits for them. */
  private readonly parts = new Set<Promise<unknown>>()
  private failParts!: (error: unknown) => void
  private readonly partsFailed = new Promise<never>((_, reject) => {
    this.failParts = reject
  })

  constructor() {
    this.partsFailed.catch(() => {})
  }

  async observe(
    command: string,
    input: Record<string, unknown>,
    send: () => Promise<{ output: Record<string, unknown> }>,
  ) {
    const isPart = command === 'UploadPart'
    if (isPart && this.firstError !== undefined) throw this.firstError
    if (command === 'PutObject' && input.Body instanceof Uint8Array)
      this.singleMd5 = createHash('md5').update(input.Body).digest('hex')
    const sent = send()
    if (isPart) {
      const settled = sent.then(
        () => undefined,
        () => undefined,
      )
      this.parts.add(settled)
      void settled.then(() => this.parts.delete(settled))
    }
    try {
      const result = isPart ? await Promise.race([sent, this.partsFailed]) : await sent
      if (command === 'CreateMultipartUpload') this.uploadId = result.output.UploadId as string | undefined
      if (isPart) this.partEtags.set(input.PartNumber as number, String(result.output.ETag ?? ''))
      if (command === 'CompleteMultipartUpload' || command === 'PutObject') this.committed = true
      return result
    } catch (error) {
      if (this.firstError === undefined && command !== 'AbortMultipartUpload') {
        this.firstError = error
        this.failedCommand = command
        this.failParts(error)
        this.partsController.abort()
      }
      throw error
    }
  }

  /** Resolves once no part request is on the wire any more. */
  async settled(): Promise<void> {
    while (this.parts.size > 0) await Promise.all([...this.parts])
  }

  /** Cancellation: parts waiting for an answer fail now and no further part starts. */
  cancel(reason: unknown): void {
    if (this.firstError !== undefined) return
    this.firstError = reason
    this.failParts(reason)
    this.partsController.abort()
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

/**
 * The client as this upload's lib-storage sees it: the store's own client (same config and
 * middleware), except that part requests (and a single PUT) carry the tracker's abort signal, which lib-storage never
 * passes itself. `instanceof` survives bundling, unlike class names.
 */
function clientForUpload(client: S3Client, tracker: UploadTracker): S3Client {
  const view = Object.create(client) as S3Client
  const send = (command: unknown, options?: { abortSignal?: AbortSignal }) =>
    (client.send as (command: unknown, options?: object) => Promise<unknown>)(
      command,
      // A single PUT too: a cancel must not leave it running to store an object after the clean-up.
      command instanceof UploadPartCommand || command instanceof PutObjectCommand
        ? { ...options, abortSignal: tracker.partsController.signal }
        : options,
    )
  view.send = send as S3Client['send']
  return view
}

type InitializeNext = (args: { input: object }) => Promise<{ output: Record<string, unknown> }>

/** The upload in progress per client and object key; the client's middleware reports to it. */
const activeUploads = new WeakMap<S3Client, Map<string, UploadTracker>>()

function uploadsOf(client: S3Client): Map<string, UploadTracker> {
  let active = activeUploads.get(client)
  if (active) return active
  const uploads = new Map<string, UploadTracker>()
  activeUploads.set(client, uploads)
  const track = (next: InitializeNext, context: { commandName?: string }) => async (args: { input: object }) => {
    const input = args.input as Record<string, unknown>
    const tracker = typeof input.Key === 'string' ? uploads.get(input.Key) : undefined
    if (!tracker) return next(args)
    return tracker.observe(String(context.commandName ?? '').replace(/Command$/, ''), input, () => next(args))
  }
  const stack = client.middlewareStack as unknown as {
    add(middleware: typeof track, options: { step: 'initialize'; name: string }): void
  }
  stack.add(track, { step: 'initialize', name: 'liveUpdateUploadTracker' })
  active = uploads
  return active
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
  /** undefined until the provider told us; false after a 501 to If-None-Match (Swift). */
  private conditionalPut: boolean | undefined
  private conditionalComplete: boolean | undefined

  constructor(config: S3StoreConfig, options: S3StoreOptions = {}) {
    assertConfig(config)
    this.config = config
    this.client = options.client ?? new S3Client(buildS3ClientConfig(config, options))
    this.logger = options.logger ?? noopLogger
    this.sleep = options.sleep ?? realSleep
    this.now = options.now ?? Date.now
    this.partSize = (config.partSizeMiB ?? DEFAULT_PART_SIZE_MIB) * MIB
    this.queueSize = config.queueSize ?? DEFAULT_QUEUE_SIZE
    this.uploadAttempts = Math.max(1, options.uploadAttempts ?? 2)
    this.deadlineMs = options.deadlineMs ?? 30 * 60_000
  }

  describe(): string {
    return describeBucket(this.config)
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

  private get jsonTarget(): S3JsonTarget {
    return {
      client: this.client,
      bucket: this.config.bucket,
      describe: () => this.describe(),
      fail: (operation, key, error) => this.storageError(operation, key, error),
    }
  }

  getJson(key: string): Promise<StoredJson | undefined> {
    assertValidObjectKey(key)
    return getJson(this.jsonTarget, key)
  }

  putJson(key: string, value: unknown, condition?: WriteCondition): Promise<{ etag?: string }> {
    assertValidObjectKey(key)
    return putJson(this.jsonTarget, key, value, condition)
  }

  list(prefix: string): Promise<string[]> {
    return listKeys(this.jsonTarget, prefix)
  }

  async put(key: string, body: BundleBody, options: { signal?: AbortSignal } = {}): Promise<StoredObject> {
    const { signal } = options
    assertValidObjectKey(key)
    if (await this.head(key)) throw this.existsError(key)
    const started = this.now()
    const retryable = new WeakSet<object>()
    await retryWithBackoff(
      async (attempt) => {
        try {
          throwIfCancelled(signal)
          await this.uploadOnce(key, body, attempt, signal)
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
        sleep: cancellableSleep(this.sleep, signal),
        now: this.now,
        classify: (error) => ({
          retry: !signal?.aborted && typeof error === 'object' && error !== null && retryable.has(error),
        }),
        onRetry: ({ attempt, attempts, delayMs, error }) =>
          this.logger.warn(
            `Upload attempt ${attempt} of ${attempts} failed (${describeError(error)}); starting a fresh upload in ${Math.round(delayMs / 1000)} s.`,
          ),
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
  private async uploadOnce(key: string, body: BundleBody, attempt: number, signal?: AbortSignal): Promise<void> {
    const multipart = body.size > this.partSize
    const conditional = multipart ? this.conditionalComplete !== false : this.conditionalPut !== false
    const tracker = new UploadTracker()
    const uploads = uploadsOf(this.client)
    uploads.set(key, tracker)
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
    const upload = new Upload({
      client: clientForUpload(this.client, tracker),
      params,
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    })
    const onCancel = () => {
      tracker.cancel(cancellationOf(signal!))
      void upload.abort().catch(() => undefined)
    }
    signal?.addEventListener('abort', onCancel, { once: true })
    try {
      await upload.done()
      if (conditional) {
        if (multipart) this.conditionalComplete = true
        else this.conditionalPut = true
      }
      return
    } catch (raw) {
      stream.destroy()
      uploads.delete(key)
      const error = tracker.firstError ?? raw
      await tracker.settled()
      const leftover = await this.confirmAborted(key, tracker)
      if (signal?.aborted) throw await this.cancelled(key, tracker, body.size, signal, leftover)
      if (
        conditional &&
        isNotImplemented(error) &&
        (tracker.failedCommand === 'PutObject' || tracker.failedCommand === 'CompleteMultipartUpload')
      ) {
        // Swift answers 501 to If-None-Match: fall back to the existence check made before the upload.
        if (multipart) this.conditionalComplete = false
        else this.conditionalPut = false
        this.logger.info(
          `${this.describe()} does not support conditional writes (If-None-Match); relying on the existence check made before the upload.`,
        )
        if (leftover) throw this.storageError(tracker.failedCommand, key, error, leftover)
        if (await this.head(key)) throw this.existsError(key)
        return this.uploadOnce(key, body, attempt, signal)
      }
      if (
        isConditionalConflict(error) ||
        (tracker.failedCommand === 'CompleteMultipartUpload' && isTransientStorageError(error))
      ) {
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
      if (uploads.get(key) === tracker) uploads.delete(key)
      signal?.removeEventListener('abort', onCancel)
      stream.destroy()
    }
  }

  /**
   * After a cancelled upload (multipart aborted and confirmed): a single PUT whose answer never
   * came may still have stored the object; when the ETag says it is ours, delete it.
   */
  private async cancelled(
    key: string,
    tracker: UploadTracker,
    size: number,
    signal: AbortSignal,
    leftover: string | undefined,
  ): Promise<Error> {
    if (leftover) this.logger.warn(leftover)
    if (await this.isOurs(key, tracker, size)) {
      await this.delete(key).catch((error) =>
        this.logger.warn(`Could not remove ${key} after the cancel: ${describeError(error)}`),
      )
    }
    return cancellationOf(signal)
  }

  private async isOurs(key: string, tracker: UploadTracker, size: number): Promise<boolean> {
    const head = await this.head(key).catch(() => undefined)
    const expected = tracker.expectedEtag()
    const ours = head !== undefined && head.size === size && expected !== undefined && unquote(head.etag) === expected
    if (ours)
      this.logger.warn(
        `The upload of ${key} was committed although its confirmation was lost (ETag matches); keeping it.`,
      )
    return ours
  }

  /**
   * After a failed upload (every part request settled), abort the multipart upload once more:
   * lib-storage already did, but parts still in flight during that abort can survive it.
   * Returns a description of what may be left behind, or undefined when nothing is.
   */
  private async confirmAborted(key: string, tracker: UploadTracker): Promise<string | undefined> {
    if (!tracker.uploadId || tracker.committed) return undefined
    const command = new AbortMultipartUploadCommand({
      Bucket: this.config.bucket,
      Key: key,
      UploadId: tracker.uploadId,
    })
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
      if (info.status !== undefined && info.status < 500 && !hasProviderCode(error)) {
        // HEAD answers have no body, so no error code: ask for one byte to learn it.
        throw await this.diagnose(key, error)
      }
      throw this.storageError('HeadObject', key, error)
    }
  }

  private async diagnose(key: string, headError: unknown): Promise<LiveUpdateError> {
    try {
      const output = await this.client.send(
        new GetObjectCommand({ Bucket: this.config.bucket, Key: key, Range: 'bytes=0-0' }),
      )
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

  /** A LiveUpdateError naming the provider's code and the input to check. Never holds secrets. */
  storageError(operation: string, key: string, error: unknown, extra?: string): LiveUpdateError {
    return s3OperationError(this.config, operation, key, error, extra)
  }
}

/** Carries the final error of an upload attempt that may be retried as a whole. */
class RetryableUpload extends Error {
  constructor(readonly final: LiveUpdateError) {
    super(final.message)
  }
}
