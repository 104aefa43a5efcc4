/**
 * Check a bundle exactly as a device would before installing it (wire-format §4): unwrap the
 * session key, decrypt, compare the signed checksum with the plaintext's SHA-256, then read the
 * zip as both Android and iOS do. One streaming pass: the ciphertext is never held in memory and
 * the plaintext only touches a temp file that is always deleted.
 */
import { constants, createDecipheriv, createHash, publicDecrypt, type KeyObject } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable, Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ErrorCode } from './error-codes.js'
import { describeError, LiveUpdateError, type VerifyStep } from './errors.js'
import { loadPublicKey } from './keys.js'
import type { Fetch } from './types.js'
import { safeUrl } from './url.js'
import { checkLocalEntries, listZipEntries, ZipFormatError, type ZipEntry } from './zip-reader.js'

export interface VerifyOptions {
  /** Local file path, http(s) URL, or a stream of the encrypted bytes. */
  source: string | Readable
  sessionKey: string
  checksum: string
  publicKeyPem: string
  fetch?: Fetch
  /** Parent folder for the temporary plaintext zip (default: the OS temp folder). */
  tempDir?: string
  /** Encrypted size the download must have, when known. */
  expectedSize?: number
  /** A download that sends nothing for this long fails at the download step (default 60 s). */
  idleTimeoutMs?: number
}

export type VerifyReport =
  | { ok: true; sha256: string; entries: number; encryptedSize: number }
  | { ok: false; step: VerifyStep; message: string }

/** Internal: a failure that a device would hit at `step`. Turned into a report at the end. */
export class StepFailure extends Error {
  constructor(
    readonly step: VerifyStep,
    message: string,
  ) {
    super(message)
  }
}

const RSA_BYTES = 256
const SHA256_BYTES = 32
const AES_KEY_BYTES = 16
const IV_BYTES = 16

/** Strict standard base64 (with padding): the plugin decodes nothing else. */
function decodeBase64(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, 'base64')
  if (text === '' || bytes.toString('base64') !== text) throw new StepFailure('session-key', `${what} is not valid base64`)
  return bytes
}

function rsaPublicDecrypt(key: KeyObject, data: Buffer): Buffer | undefined {
  try {
    return publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, data)
  } catch {
    return undefined
  }
}

/** Steps 1-2: split `iv:wrappedKey` and unwrap the AES key with the app's public key. */
export function unwrapSessionKey(sessionKey: string, publicKeyPem: string): { aesKey: Buffer; iv: Buffer; publicKey: KeyObject } {
  let publicKey: KeyObject
  try {
    publicKey = loadPublicKey(publicKeyPem).key
  } catch (error) {
    throw new StepFailure('session-key', `the public key cannot be used: ${describeError(error)}`)
  }
  const parts = sessionKey.trim().split(':')
  if (parts.length !== 2) throw new StepFailure('session-key', `session key must be 'base64(iv):base64(wrappedKey)' (found ${parts.length - 1} ':' separators)`)
  const iv = decodeBase64(parts[0], 'the IV part of the session key')
  if (iv.length !== IV_BYTES) throw new StepFailure('session-key', `the IV is ${iv.length} bytes, expected ${IV_BYTES}`)
  const wrapped = decodeBase64(parts[1], 'the wrapped-key part of the session key')
  if (wrapped.length !== RSA_BYTES) throw new StepFailure('session-key', `the wrapped key is ${wrapped.length} bytes, expected ${RSA_BYTES} (RSA-2048)`)
  const aesKey = rsaPublicDecrypt(publicKey, wrapped)
  if (!aesKey) throw new StepFailure('session-key', 'the wrapped AES key does not decrypt with this public key (wrong key pair, or a corrupted session key)')
  if (aesKey.length !== AES_KEY_BYTES) throw new StepFailure('session-key', `the unwrapped AES key is ${aesKey.length} bytes, expected ${AES_KEY_BYTES}`)
  return { aesKey, iv, publicKey }
}

/** Step 4: the V3 signed checksum back to the sha256 hex it signs. */
export function recoverSignedSha256(checksum: string, publicKey: KeyObject): string {
  const hex = checksum.trim()
  if (!/^[0-9a-fA-F]{512}$/.test(hex)) {
    throw new StepFailure('checksum', `the checksum must be ${RSA_BYTES * 2} hex characters (a V3 signed checksum), got ${hex.length} characters`)
  }
  const recovered = rsaPublicDecrypt(publicKey, Buffer.from(hex, 'hex'))
  if (!recovered) throw new StepFailure('checksum', 'the signed checksum does not decrypt with this public key (wrong key pair, or a corrupted checksum)')
  if (recovered.length !== SHA256_BYTES) throw new StepFailure('checksum', `the signed checksum holds ${recovered.length} bytes, expected a ${SHA256_BYTES}-byte SHA-256`)
  return recovered.toString('hex')
}

/**
 * Aborts a download that stalls: restarted by every chunk (`touch`), so a slow but moving
 * download of a big bundle is fine while a dead connection cannot hang the publish.
 */
class IdleWatchdog {
  readonly controller = new AbortController()
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly ms: number) {
    this.touch()
  }

  touch(): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.controller.abort(new Error(`no data for ${this.ms / 1000} s`)), this.ms)
    this.timer.unref()
  }

  stop(): void {
    clearTimeout(this.timer)
  }
}

async function openSource(options: VerifyOptions, watchdog: IdleWatchdog): Promise<Readable> {
  const { source } = options
  if (typeof source !== 'string') return source
  if (/^https?:\/\//i.test(source)) {
    const fetchImpl = options.fetch ?? globalThis.fetch
    let response: Response
    try {
      response = await fetchImpl(source, { signal: watchdog.controller.signal })
    } catch (error) {
      const reason = watchdog.controller.signal.aborted ? describeError(watchdog.controller.signal.reason) : describeError(error)
      throw new StepFailure('download', `GET ${describeSource(source)} failed: ${reason}`)
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined)
      throw new StepFailure('download', `GET ${describeSource(source)} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`)
    }
    if (!response.body) throw new StepFailure('download', `GET ${describeSource(source)} returned no body`)
    return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
  }
  return createReadStream(source)
}

/** Counts the encrypted bytes; source errors surface here tagged as the download step. */
function countingStream(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      onBytes(chunk.length)
      callback(null, chunk)
    },
  })
}

/** AES-128-CBC decipher whose failures (bad padding, truncated ciphertext) are tagged 'decrypt'. */
function decryptStream(aesKey: Buffer, iv: Buffer): Transform {
  const decipher = createDecipheriv('aes-128-cbc', aesKey, iv)
  const tagged = (work: () => Buffer, callback: TransformCallback): void => {
    let out: Buffer
    try {
      out = work()
    } catch (error) {
      callback(new StepFailure('decrypt', `AES-128-CBC decryption failed (${describeError(error)}): the file is not this session key's ciphertext, or it is truncated or corrupted`))
      return
    }
    callback(null, out)
  }
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      tagged(() => decipher.update(chunk), callback)
    },
    flush(callback) {
      tagged(() => decipher.final(), callback)
    },
  })
}

function hashingStream(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      hash.update(chunk)
      callback(null, chunk)
    },
  })
}

function checkSize(encryptedSize: number, expectedSize: number | undefined): void {
  if (expectedSize !== undefined && encryptedSize !== expectedSize) {
    throw new StepFailure('download', `got ${encryptedSize} bytes, expected ${expectedSize} (truncated or different upload)`)
  }
}

/** Step 6: the names a device accepts, and index.html at the root. */
export function checkBundleEntryNames(entries: ZipEntry[]): void {
  const seen = new Set<string>()
  for (const { name } of entries) {
    if (name === '') throw new StepFailure('zip', 'an entry has an empty name')
    if (name.includes('\\')) throw new StepFailure('zip', `entry '${name}' contains a backslash; Android rejects it (names must use '/')`)
    if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw new StepFailure('zip', `entry '${name}' is an absolute path`)
    if (name.split('/').includes('..')) throw new StepFailure('zip', `entry '${name}' has a '..' segment; devices reject paths escaping the bundle folder`)
    if (name.includes('\0')) throw new StepFailure('zip', `entry '${name}' contains a NUL character`)
    // Android (local headers) and iOS (central directory) could pick different copies of a duplicate.
    if (seen.has(name)) throw new StepFailure('zip', `entry '${name}' appears twice`)
    seen.add(name)
  }
  if (!seen.has('index.html')) {
    const nested = [...seen].find((name) => name.endsWith('/index.html'))
    throw new StepFailure('zip', `no index.html at the zip root${nested ? ` (found '${nested}': zip the CONTENTS of the web output folder, not the folder)` : ''}`)
  }
}

async function checkZip(file: string): Promise<number> {
  try {
    const listing = await listZipEntries(file)
    checkBundleEntryNames(listing.entries)
    await checkLocalEntries(file, listing)
    return listing.entries.length
  } catch (error) {
    if (error instanceof ZipFormatError) throw new StepFailure('zip', error.message)
    throw error
  }
}

/**
 * Verify a bundle like a device. Returns a report instead of throwing for anything a device
 * would reject; only local failures (e.g. the temp folder is not writable) throw.
 */
export async function verifyBundle(options: VerifyOptions): Promise<VerifyReport> {
  let workDir: string | undefined
  let source: Readable | undefined
  const watchdog = new IdleWatchdog(options.idleTimeoutMs ?? 60_000)
  try {
    const { aesKey, iv, publicKey } = unwrapSessionKey(options.sessionKey, options.publicKeyPem)
    source = await openSource(options, watchdog)
    let sourceError: unknown
    source.once('error', (error) => {
      sourceError = error
    })
    workDir = await mkdtemp(path.join(options.tempDir ?? os.tmpdir(), 'live-update-verify-'))
    const plainFile = path.join(workDir, 'bundle.zip')
    const plainHash = createHash('sha256')
    let encryptedSize = 0
    try {
      await pipeline(
        source,
        countingStream((n) => {
          encryptedSize += n
          watchdog.touch()
        }),
        decryptStream(aesKey, iv),
        hashingStream(plainHash),
        createWriteStream(plainFile),
      )
    } catch (error) {
      if (watchdog.controller.signal.aborted) throw new StepFailure('download', `reading ${describeSource(options.source)} failed: ${describeError(watchdog.controller.signal.reason)}`)
      if (sourceError !== undefined) throw new StepFailure('download', `reading ${describeSource(options.source)} failed: ${describeError(sourceError)}`)
      // A truncated download fails to decrypt; name the real cause when the size says so.
      checkSize(encryptedSize, options.expectedSize)
      throw error
    }
    watchdog.stop()
    checkSize(encryptedSize, options.expectedSize)
    const sha256 = plainHash.digest('hex')
    const signed = recoverSignedSha256(options.checksum, publicKey)
    if (signed !== sha256) {
      throw new StepFailure('checksum', `the signed checksum is for sha256 ${signed}, but the decrypted zip has sha256 ${sha256} (devices answer checksum_fail)`)
    }
    const entries = await checkZip(plainFile)
    return { ok: true, sha256, entries, encryptedSize }
  } catch (error) {
    if (error instanceof StepFailure) return { ok: false, step: error.step, message: error.message }
    throw error
  } finally {
    watchdog.stop()
    source?.destroy()
    if (workDir) await rm(workDir, { recursive: true, force: true })
  }
}

/** For messages: a URL without credentials or query string (a signed URL's query holds credentials). */
function describeSource(source: VerifyOptions['source']): string {
  if (typeof source !== 'string') return 'the bundle stream'
  return /^https?:\/\//i.test(source) ? safeUrl(source) : source
}

const VERIFY_STEP_CODES: Record<VerifyStep, ErrorCode> = {
  download: 'verify_download_failed',
  'session-key': 'verify_session_key_rejected',
  decrypt: 'verify_decrypt_failed',
  checksum: 'verify_checksum_rejected',
  zip: 'verify_zip_rejected',
}

/** Like verifyBundle, but a device-side rejection throws LiveUpdateError(stage 'verify', step). */
export async function verifyBundleOrThrow(options: VerifyOptions): Promise<{ sha256: string; entries: number; encryptedSize: number }> {
  const report = await verifyBundle(options)
  if (!report.ok) {
    throw new LiveUpdateError(VERIFY_STEP_CODES[report.step], `A device would reject the bundle from ${describeSource(options.source)} at the ${report.step} step: ${report.message}`, {
      stage: 'verify',
      step: report.step,
    })
  }
  return { sha256: report.sha256, entries: report.entries, encryptedSize: report.encryptedSize }
}
