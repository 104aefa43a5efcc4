/**
 * The small interfaces between pipeline stages. Data flows one way:
 * inputs -> validated config -> keys -> bundle (zip+encrypt+sign, to a temp file)
 * -> registrar.lookup -> store.put -> verify (download like a device) -> registrar.register -> report.
 */
import type { KeyObject } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { NativeGuardOptions, NativeReport } from './native/guard.js'
import type { ChangesSummary } from './report/changes.js'
import type { Stage } from './errors.js'
import type { ReleaseOutcome } from './modes/outcome.js'

/** The company's signing key, loaded and checked (RSA-2048, PKCS#1 public form derived). */
export interface SigningKey {
  privateKey: KeyObject
  /** PKCS#1 `BEGIN RSA PUBLIC KEY` PEM, LF, 64-char lines, trailing newline: what the app holds. */
  publicKeyPem: string
  /** First 20 chars of the public PEM's base64 body (what devices send as key_id). */
  keyId: string
}

export interface FileStat {
  /** Entry name inside the zip, `/` separated, no leading slash. */
  path: string
  size: number
}

/** Everything known about a bundle once it is zipped, encrypted and signed. */
export interface BundleResult {
  version: string
  /** SHA-256 of the plaintext zip, lowercase hex. */
  sha256: string
  /** V3 signed checksum: RSA private-encrypt of the 32 sha256 bytes, 512 lowercase hex chars. */
  checksum: string
  /** Signed metadata (capgo-bundle-v1: version + zip sha256), 512 lowercase hex; plugin >= 8.53 checks it. */
  signature: string
  /** ivSessionKey: base64(iv) + ':' + base64(wrapped AES key). Not secret. */
  sessionKey: string
  keyId: string
  fileCount: number
  /** Sum of the input files' sizes. */
  rawSize: number
  zipSize: number
  encryptedSize: number
  /** SHA-256 of the encrypted bytes, lowercase hex: the `{hash}` of object keys. */
  encryptedSha256: string
  largestFiles: FileStat[]
  /** Every file in the bundle, in zip entry order (byte order of the names), with the SHA-256 of its content. */
  files: BundleFile[]
  /** How the incremental deflate cache served this bundle, when one was used. */
  cache?: { hits: number; misses: number; rejected: number }
}

export interface BundleFile {
  /** Name inside the zip, `/`-separated. */
  name: string
  size: number
  /** SHA-256 of the file's plain content, lowercase hex. */
  sha256: string
}

/** A source of the encrypted bundle bytes that can be opened more than once (for retries). */
export interface BundleBody {
  size: number
  open(): Readable
}

export interface StoredObject {
  key: string
  /** What devices download from (https in production). */
  url: string
  size: number
}

/** One small interface for every store: S3-compatible providers and the local folder store. */
export interface BundleStore {
  /** Human description for logs, e.g. `s3://bucket (https://endpoint)`. Never holds secrets. */
  describe(): string
  /** True when an object already exists at this key. */
  exists(key: string): Promise<boolean>
  /** Upload, refusing to replace an existing object. Aborts partial uploads on failure. */
  /** `signal`: cancellation; the store aborts what is in flight and leaves nothing behind. */
  put(key: string, body: BundleBody, options?: { signal?: AbortSignal }): Promise<StoredObject>
  /** Public URL for a key (template or derived). */
  publicUrl(key: string): string
  /** Size of the stored object as the store reports it, or undefined if missing. */
  size(key: string): Promise<number | undefined>
  /** Delete; a missing object is not an error. */
  delete(key: string): Promise<void>
  /** Read a small JSON object (a record) with its ETag; undefined when there is none. */
  getJson(key: string): Promise<StoredJson | undefined>
  /**
   * Write a small JSON object (no-cache). With a condition, throws WriteConflict when it does not
   * hold (HTTP 412) and ConditionalWritesUnsupported when the provider cannot check it (HTTP 501).
   */
  putJson(key: string, value: unknown, condition?: WriteCondition): Promise<{ etag?: string }>
  /** Every key under a prefix. */
  list(prefix: string): Promise<string[]>
}

export interface StoredJson {
  value: unknown
  /** Opaque version tag for `ifMatch`. */
  etag: string
}

/** `ifMatch`: only replace this version; `ifNoneMatch: '*'`: only create. */
export interface WriteCondition {
  ifMatch?: string
  ifNoneMatch?: '*'
}

/** What is sent to the update server. Every field is required: never register half a bundle. */
export interface RegistrationRequest {
  appId: string
  version: string
  channel: string
  externalUrl: string
  checksum: string
  sessionKey: string
  keyId: string
  sha256: string
  /** Signed metadata (capgo-bundle-v1), sent where the server takes it. */
  signature?: string
  /** The native app version this bundle needs (native floor), for servers that can hold one. */
  minNativeVersion?: string
  zipSize: number
  encryptedSize: number
  /** Link/comment metadata (commit or run URL), optional. */
  link?: string
  comment?: string
  git?: { sha?: string; ref?: string; runUrl?: string; repository?: string }
  /** Staged rollout: the new version goes to this share (0.01-100) and the stable stays. */
  rollout?: { percentage: number }
  /** A preview channel: let devices join it themselves (the plugin's setChannel). */
  selfAssign?: boolean
  /** A delta release's manifest (uploaded and verified), for servers that serve per-file updates. */
  manifest?: DeltaManifestInfo
}

/** Where a delta release's manifest lives: COMMON.md's `ReleaseRecord.manifest`. */
export interface DeltaManifestInfo {
  key: string
  url: string
  /** 512 hex: the signed manifest (capgo-manifest-v1). */
  signature: string
  entries: number
}

export type LookupResult =
  | { found: false }
  | { found: true; checksum: string; bundleId?: string; externalUrl?: string; sessionKey?: string }

export interface RegistrationResult {
  /**
   * 'registered': the server now references THIS request's externalUrl (keep the upload).
   * 'already-registered': the version was already registered with the same checksum at another
   * URL (a concurrent or earlier run won): this request's upload is unused.
   */
  status: 'registered' | 'already-registered'
  bundleId?: string
  /** The bundle URL the server holds for this version, when known. */
  externalUrl?: string
}

export interface Registrar {
  readonly kind: 'capgo' | 'webhook' | 'none' | 'self-hosted'
  /** Is this app version already registered, and with which checksum? */
  lookup(appId: string, version: string): Promise<LookupResult>
  /** Register (and point the channel at it). Throws LiveUpdateError with stage 'register'. */
  register(request: RegistrationRequest): Promise<RegistrationResult>
  /** Point the channel at an already registered version (idempotent re-runs). */
  pointChannel(
    appId: string,
    channel: string,
    version: string,
    rollout?: RegistrationRequest['rollout'],
    selfAssign?: boolean,
  ): Promise<void>
}

/** Injected side effects, so tests run fast and the core knows nothing about GitHub. */
export interface Logger {
  info(message: string): void
  warn(message: string): void
  debug(message: string): void
}

export type Sleep = (ms: number) => Promise<void>
export type Fetch = typeof fetch

/** Options for one publish, already validated (the action and the CLI both build this). */
export interface PublishOptions {
  appId: string
  version: string
  channel: string
  /** Folder holding the built web app (index.html at its root). */
  webDir: string
  /** PEM text of the private key (PKCS#1 or PKCS#8). */
  privateKeyPem: string
  /** The field the key came from (`private-key` or `private-key-file`), for messages about it. */
  privateKeyField?: string
  /**
   * No private key was given where that is expected (a pull request without secrets): build, zip
   * and check the layout only, with a throwaway key; upload and register nothing.
   */
  checkOnly?: boolean
  /** The app's public key (explicit or from capacitor.config), checked against the private key. */
  publicKeyPem?: string
  /** Where the public key came from, for messages (`public-key` input or capacitor.config.json). */
  publicKeySource?: string
  requireNotifyAppReady: boolean
  /** Deflate level 1-9 (default 6, what Capgo's CLI uses): lower is faster, bigger. */
  compressionLevel?: number
  /** Also publish every file as its own object with a manifest (per-file "delta" updates). */
  delta?: boolean
  /** Object key template: {appId} {version} {channel} {hash}. */
  objectKeyTemplate: string
  verifyUpload: boolean
  dryRun: boolean
  /** Folder for the temporary encrypted file. */
  tempDir?: string
  /** Folder of the incremental deflate cache (entries are checked before use); none when unset. */
  cacheDir?: string
  link?: string
  comment?: string
  git?: RegistrationRequest['git']
  /** Native version gate and native-compatibility guard (absent: neither runs). */
  native?: NativeGuardOptions
}

export type PublishStatus = 'published' | 'already-published' | 'dry-run' | 'checked'

export interface StageTiming {
  stage: Stage
  ms: number
}

export interface PublishResult {
  status: PublishStatus
  appId: string
  version: string
  channel: string
  bundle: BundleResult
  objectKey?: string
  bundleUrl?: string
  bundleId?: string
  registrar: Registrar['kind']
  /** Downloaded and checked as a device would (locally for a dry run); false with `verify: false`. */
  verified: boolean
  timings: StageTiming[]
  /** Present when a delta release was published. */
  delta?: DeltaManifestInfo & { uploadedBytes: number; compressedFiles: number; reusedFiles: number }
  /** The native fingerprint and verdict (absent when the guard did not run). */
  native?: NativeReport
  /** What changed since the channel's live release (absent without release records). */
  changes?: ChangesSummary
  /** What the release records say now (absent without records, e.g. a dry run). */
  release?: ReleaseOutcome
}
