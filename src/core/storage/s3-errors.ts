/**
 * What S3 providers (and the network under them) answer when something fails, read the same way
 * across AWS, R2, MinIO, Swift and friends: which failures deserve a fresh upload, and a message
 * that names the input to fix, with the credentials scrubbed out.
 */
import { LiveUpdateError, describeError, redact } from '../errors.js'
import { describeBucket, type S3ConnectionConfig } from './s3-client.js'
import type { StorageErrorCode } from '../error-codes.js'

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
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
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

/** Whether the provider's answer carried an error body (HEAD answers never do). */
export function hasProviderCode(error: unknown): boolean {
  return field(error, 'Code') !== undefined
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'TooManyRequests',
])

/** Worth a fresh attempt of the whole upload (after the SDK's own per-request retries)? */
export function isTransientStorageError(error: unknown): boolean {
  const info = providerError(error)
  if (info.status === 501) return false
  if (TRANSIENT_CODES.has(info.code)) return true
  return info.status !== undefined && (info.status >= 500 || info.status === 429)
}

export function isConditionalConflict(error: unknown): boolean {
  const info = providerError(error)
  // AWS/R2/Ceph: 412 PreconditionFailed; Swift: 412 InvalidRequest; AWS: 409 ConditionalRequestConflict.
  return info.status === 412 || info.code === 'PreconditionFailed' || info.code === 'ConditionalRequestConflict'
}

export function isNotImplemented(error: unknown): boolean {
  const info = providerError(error)
  return info.status === 501 || info.code === 'NotImplemented'
}

/** A LiveUpdateError naming the provider's code and the input to check. Never holds secrets. */
export function s3OperationError(
  config: S3ConnectionConfig,
  operation: string,
  key: string,
  error: unknown,
  extra?: string,
): LiveUpdateError {
  const info = providerError(error)
  const { code, input, hint } = explain(config, info)
  const status = info.status ? ` (HTTP ${info.status})` : ''
  const message = `S3 ${operation} of s3://${config.bucket}/${key} at ${describeBucket(config)} failed: ${info.code}${status}: ${info.message.replace(/\.$/, '')}. ${hint}${extra ? ` ${extra}` : ''}`
  // Messages end up in CI logs and the job summary: whatever a provider echoes back must not leak a
  // credential (the action masks the access key id too).
  return new LiveUpdateError(code, redact(message, [config.secretAccessKey, config.sessionToken, config.accessKeyId]), {
    stage: 'upload',
    input,
    cause: error,
  })
}

function explain(
  config: S3ConnectionConfig,
  info: ProviderError,
): { code: StorageErrorCode; input?: string; hint: string } {
  const { bucket, region } = config
  const endpoint = config.endpoint ? `the endpoint ${new URL(config.endpoint).origin}` : `AWS region ${region}`
  switch (info.code) {
    case 'NoSuchBucket':
      return {
        code: 'storage_bucket_missing',
        input: 's3-bucket',
        hint: `The bucket "${bucket}" does not exist at ${endpoint}: check {{s3-bucket}} (and {{s3-endpoint}} / {{s3-region}}).`,
      }
    case 'InvalidBucketName':
      return { code: 'storage_bucket_invalid', input: 's3-bucket', hint: 'Check {{s3-bucket}}.' }
    case 'SignatureDoesNotMatch':
      return {
        code: 'storage_credentials_invalid',
        input: 's3-secret-access-key',
        hint: 'The secret access key does not match the access key id: check {{s3-secret-access-key}} (or AWS_SECRET_ACCESS_KEY).',
      }
    case 'InvalidAccessKeyId':
      return {
        code: 'storage_credentials_invalid',
        input: 's3-access-key-id',
        hint: 'The storage does not know this access key id: check {{s3-access-key-id}} (or AWS_ACCESS_KEY_ID).',
      }
    case 'InvalidToken':
    case 'ExpiredToken':
    case 'TokenRefreshRequired':
      return {
        code: 'storage_credentials_invalid',
        input: 's3-access-key-id',
        hint: 'The session token is invalid or expired: check the credentials step (OIDC role, AWS_SESSION_TOKEN) or {{s3-access-key-id}} / {{s3-secret-access-key}}.',
      }
    case 'CredentialsProviderError':
      return {
        code: 'storage_credentials_missing',
        input: 's3-access-key-id',
        hint: 'No credentials found: set {{s3-access-key-id}} and {{s3-secret-access-key}}, or configure AWS credentials (env or OIDC role) before this step.',
      }
    case 'AccessDenied':
    case 'AllAccessDisabled':
    case 'AccountProblem':
      return {
        code: 'storage_access_denied',
        input: 's3-access-key-id',
        hint: `These credentials may not write to "${bucket}": grant s3:PutObject, s3:GetObject and s3:AbortMultipartUpload on its objects (or check {{s3-bucket}}).`,
      }
    case 'AuthorizationHeaderMalformed':
    case 'PermanentRedirect':
    case 'IllegalLocationConstraintException':
    case 'InvalidRegion':
      return {
        code: 'storage_region_wrong',
        input: 's3-region',
        hint: `The bucket is not in region ${region}: check {{s3-region}}.`,
      }
    case 'RequestTimeTooSkewed':
      return { code: 'storage_clock_skewed', hint: 'The machine clock is too far from the storage clock.' }
    case 'NotImplemented':
      return {
        code: 'storage_request_unsupported',
        input: 's3-endpoint',
        hint: `${endpoint} does not implement this S3 request: check {{s3-endpoint}} (and {{s3-checksum}}: when_required suits most S3-compatible servers).`,
      }
    case 'EntityTooSmall':
    case 'EntityTooLarge':
      return {
        code: 'storage_upload_failed',
        input: 's3-part-size-mib',
        hint: 'The provider refused the part size: check {{s3-part-size-mib}}.',
      }
  }
  if (NETWORK_CODES.has(info.code) || info.code === 'TimeoutError') {
    return {
      code: 'storage_endpoint_unreachable',
      input: 's3-endpoint',
      hint: `Could not talk to ${endpoint} (after retries): check {{s3-endpoint}} and that the storage is reachable from this runner.`,
    }
  }
  if (info.status === 403) {
    return {
      code: 'storage_access_denied',
      input: 's3-access-key-id',
      hint: "Access was refused: check {{s3-access-key-id}} / {{s3-secret-access-key}} and the key's permissions on the bucket.",
    }
  }
  if (info.status === 301 || info.status === 307) {
    return {
      code: 'storage_region_wrong',
      input: 's3-region',
      hint: 'The storage redirected the request: check {{s3-region}} (and {{s3-endpoint}} / {{s3-force-path-style}}).',
    }
  }
  if (info.status !== undefined && (info.status >= 500 || info.status === 429)) {
    return {
      code: 'storage_service_unavailable',
      input: 's3-endpoint',
      hint: `${endpoint} kept failing after retries; try again later, and check the provider's status.`,
    }
  }
  return {
    code: 'storage_upload_failed',
    hint: 'Check the storage settings ({{s3-bucket}}, {{s3-endpoint}}, {{s3-region}}, credentials).',
  }
}
