/**
 * The S3Client a store talks through: region, endpoint and credentials from the inputs, SDK retries
 * with timeouts so a stalled connection becomes a retryable TimeoutError, and checksum settings
 * that S3-compatible servers accept.
 */
import type { S3ClientConfig } from '@aws-sdk/client-s3'

export type ChecksumMode = 'auto' | 'when_required' | 'when_supported'

/** Which bucket, where, and with which credentials. */
export interface S3ConnectionConfig {
  bucket: string
  region: string
  /** Custom endpoint (R2, MinIO, B2, GCS, Spaces...). Unset means AWS S3. */
  endpoint?: string
  forcePathStyle?: boolean
  /** Explicit credentials; when unset the standard AWS chain is used (env, OIDC web identity, profiles...). */
  accessKeyId?: string
  secretAccessKey?: string
  sessionToken?: string
  /**
   * Flexible checksums. `auto`: WHEN_REQUIRED for custom endpoints (many S3-compatible servers
   * reject the SDK's aws-chunked trailers: aws-sdk-js-v3#6810, #6819), SDK defaults on AWS.
   */
  checksumMode?: ChecksumMode
}

export interface S3ClientTuning {
  /** SDK attempts per request, first included (default 5). */
  maxAttempts?: number
  /** TCP/TLS connect timeout (default 10 s). */
  connectTimeoutMs?: number
  /** A socket idle this long (a stalled request or response) fails the attempt (default 60 s). */
  idleTimeoutMs?: number
}

/** The S3Client configuration a store uses (exported for tests and for other stages). */
export function buildS3ClientConfig(config: S3ConnectionConfig, options: S3ClientTuning = {}): S3ClientConfig {
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
  const checksum =
    mode === 'when_required' || (mode === 'auto' && config.endpoint)
      ? 'WHEN_REQUIRED'
      : mode === 'when_supported'
        ? 'WHEN_SUPPORTED'
        : undefined
  if (checksum) {
    clientConfig.requestChecksumCalculation = checksum
    clientConfig.responseChecksumValidation = checksum
  }
  return clientConfig
}

/** `s3://bucket (origin)`: how messages and logs name the bucket. */
export function describeBucket(config: S3ConnectionConfig): string {
  const where = config.endpoint ? new URL(config.endpoint).origin : `AWS ${config.region}`
  return `s3://${config.bucket} (${where})`
}
