/**
 * Check a bundle exactly as a device would before installing it (docs/wire-format.md §4): unwrap the
 * session key, decrypt, compare the signed checksum with the plaintext's SHA-256, then read the
 * zip as both Android and iOS do. One streaming pass at download speed: the bytes are decrypted,
 * hashed and walked entry by entry as they arrive (inflation in libuv's pool, in parallel), so
 * neither the ciphertext nor the plaintext is held in memory or, normally, written to disk.
 */
import { constants, createDecipheriv, createHash, publicDecrypt, randomBytes, type KeyObject } from 'node:crypto'
import { rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import type { ErrorCode } from './error-codes.js'
import { describeError, inputError, LiveUpdateError, type VerifyStep } from './errors.js'
import { loadPublicKey } from './keys.js'
import type { Fetch } from './types.js'
import { excerpt, safeUrl } from './url.js'
import {
  describeSource,
  DownloadFailure,
  DownloadGuard,
  type DownloadLimits,
  isUrl,
  openSource,
  scrubUrls,
} from './verify-download.js'
import { ZipFormatError } from './zip/entry-check.js'
import { freeNow } from './zip/free-now.js'
import { startZipWalk, type ZipWalk } from './zip/walk-client.js'

export { checkBundleEntryNames } from './device-layout.js'

export interface VerifyOptions extends DownloadLimits {
  /** Local file path, http(s) URL, or a stream of the encrypted bytes. */
  source: string | Readable
  sessionKey: string
  checksum: string
  publicKeyPem: string
  fetch?: Fetch
  /** Parent folder for a spill file, needed only for zips with data descriptors (default: the OS temp folder). */
  tempDir?: string
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
  if (text === '' || bytes.toString('base64') !== text)
    throw new StepFailure('session-key', `${what} is not valid base64`)
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
export function unwrapSessionKey(
  sessionKey: string,
  publicKeyPem: string,
): { aesKey: Buffer; iv: Buffer; publicKey: KeyObject } {
  let publicKey: KeyObject
  try {
    publicKey = loadPublicKey(publicKeyPem).key
  } catch (error) {
    throw new StepFailure('session-key', `the public key cannot be used: ${describeError(error)}`)
  }
  const parts = sessionKey.trim().split(':')
  if (parts.length !== 2)
    throw new StepFailure(
      'session-key',
      `session key must be 'base64(iv):base64(wrappedKey)' (found ${parts.length - 1} ':' separators)`,
    )
  const iv = decodeBase64(parts[0], 'the IV part of the session key')
  if (iv.length !== IV_BYTES) throw new StepFailure('session-key', `the IV is ${iv.length} bytes, expected ${IV_BYTES}`)
  const wrapped = decodeBase64(parts[1], 'the wrapped-key part of the session key')
  if (wrapped.length !== RSA_BYTES)
    throw new StepFailure('session-key', `the wrapped key is ${wrapped.length} bytes, expected ${RSA_BYTES} (RSA-2048)`)
  const aesKey = rsaPublicDecrypt(publicKey, wrapped)
  if (!aesKey)
    throw new StepFailure(
      'session-key',
      'the wrapped AES key does not decrypt with this public key (wrong key pair, or a corrupted session key)',
    )
  if (aesKey.length !== AES_KEY_BYTES)
    throw new StepFailure('session-key', `the unwrapped AES key is ${aesKey.length} bytes, expected ${AES_KEY_BYTES}`)
  return { aesKey, iv, publicKey }
}

/** Step 4: the V3 signed checksum back to the sha256 hex it signs. */
export function recoverSignedSha256(checksum: string, publicKey: KeyObject): string {
  const hex = checksum.trim()
  if (!/^[0-9a-fA-F]{512}$/.test(hex)) {
    throw new StepFailure(
      'checksum',
      `the checksum must be ${RSA_BYTES * 2} hex characters (a V3 signed checksum), got ${hex.length} characters`,
    )
  }
  const recovered = rsaPublicDecrypt(publicKey, Buffer.from(hex, 'hex'))
  if (!recovered)
    throw new StepFailure(
      'checksum',
      'the signed checksum does not decrypt with this public key (wrong key pair, or a corrupted checksum)',
    )
  if (recovered.length !== SHA256_BYTES)
    throw new StepFailure(
      'checksum',
      `the signed checksum holds ${recovered.length} bytes, expected a ${SHA256_BYTES}-byte SHA-256`,
    )
  return recovered.toString('hex')
}

/** Ciphertext is gathered into pieces of this size before decryption: one cipher, hash and transfer call per MiB instead of per network read (16-64 KiB). */
const DECRYPT_BYTES = 1024 * 1024

/**
 * Decrypts the download as it arrives and passes the plaintext on (`plaintext`: hash it, walk it).
 * `take` sees each ciphertext chunk first (size limit, sniffing); cipher failures (bad padding,
 * truncated ciphertext) are tagged 'decrypt'. A plain loop rather than a chain of streams: each
 * stream hop costs bookkeeping per chunk, which on a fast download is most of the time past the floor.
 */
async function decryptDownload(
  source: Readable,
  aesKey: Buffer,
  iv: Buffer,
  take: (chunk: Buffer) => void,
  plaintext: (chunk: Buffer) => Promise<void>,
  freeChunks: boolean,
): Promise<void> {
  const decipher = createDecipheriv('aes-128-cbc', aesKey, iv)
  const decrypt = (piece: Buffer | undefined): Buffer => {
    try {
      return piece ? decipher.update(piece) : decipher.final()
    } catch (error) {
      throw new StepFailure(
        'decrypt',
        `AES-128-CBC decryption failed (${describeError(error)}): the file is not this session key's ciphertext, or it is truncated or corrupted`,
      )
    }
  }
  const pass = async (out: Buffer): Promise<void> => {
    if (out.length > 0) await plaintext(out)
  }
  // Reused: the decipher copies what it is given into its own output.
  const staged = Buffer.allocUnsafe(DECRYPT_BYTES)
  let filled = 0
  for await (const chunk of source as AsyncIterable<Buffer>) {
    take(chunk)
    for (let offset = 0; offset < chunk.length; ) {
      const length = Math.min(DECRYPT_BYTES - filled, chunk.length - offset)
      chunk.copy(staged, filled, offset, offset + length)
      filled += length
      offset += length
      if (filled === DECRYPT_BYTES) {
        filled = 0
        await pass(decrypt(staged))
      }
    }
    // Copied: the network chunk is garbage now. Freed at once, not at the next GC: V8 lets ~64 MB of
    // dead external memory pile up before collecting, which made peak RSS grow with the bundle.
    if (freeChunks) freeNow(chunk)
  }
  await pass(decrypt(staged.subarray(0, filled)))
  await pass(decrypt(undefined))
}

/** The first bytes of the download: an HTML error page must be named as such. */
function sniffer(): { take: (chunk: Buffer) => void; head: () => Buffer } {
  const kept: Buffer[] = []
  let length = 0
  return {
    take: (chunk) => {
      if (length >= 256) return
      kept.push(Buffer.from(chunk.subarray(0, 256 - length)))
      length += Math.min(chunk.length, 256 - length)
    },
    head: () => Buffer.concat(kept),
  }
}

/** What the server sent instead of a bundle, when it is recognisably a page (CDN error, login, proxy). */
function notABundle(head: Buffer, contentType: string | undefined, fromUrl: boolean): string | undefined {
  const text = head
    .toString('latin1')
    .replace(/^\uFEFF/, '')
    .trimStart()
  const looksHtml = /^<(!doctype|html|head|body|\?xml|!--)/i.test(text)
  const looksJson = /^[{[]\s*"/.test(text)
  if (!looksHtml && !looksJson && !/^(text\/|application\/(json|xml))/i.test(contentType ?? '')) return undefined
  const shown = excerpt(text.replace(/[^\x20-\x7e]/g, ' '), 60)
  if (!fromUrl) return `the file holds a page starting '${shown}', not an encrypted bundle`
  return `the server answered ${contentType ? `'${contentType.split(';')[0]}'` : 'a page'} starting '${shown}' instead of the encrypted bundle: an error or login page from a CDN, proxy or bucket (check the URL and that the object is public)`
}

function checkSize(encryptedSize: number, expectedSize: number | undefined): void {
  if (expectedSize !== undefined && encryptedSize !== expectedSize) {
    throw new StepFailure(
      'download',
      `got ${encryptedSize} bytes, expected ${expectedSize} (truncated or different upload)`,
    )
  }
}

async function checkZipResult(walk: ZipWalk): Promise<number> {
  try {
    return await walk.end()
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
  // Created only if a zip needs a spill file (data descriptors); always removed.
  const spillDir = path.join(options.tempDir ?? os.tmpdir(), `live-update-verify-${randomBytes(6).toString('hex')}`)
  let source: Readable | undefined
  let walk: ZipWalk | undefined
  if (typeof options.source === 'string' && isUrl(options.source)) refuseCredentials(options.source)
  const guard = new DownloadGuard(options)
  try {
    const { aesKey, iv, publicKey } = unwrapSessionKey(options.sessionKey, options.publicKeyPem)
    // Checked before the download: a checksum that cannot be right should not cost a download.
    const signed = recoverSignedSha256(options.checksum, publicKey)
    // Started before the request: the worker's start-up (~50-100 ms) overlaps the wait for the
    // first bytes instead of following it.
    walk = startZipWalk(spillDir)
    let opened: Awaited<ReturnType<typeof openSource>>
    try {
      opened = await openSource(options.source, options.fetch, guard)
    } catch (error) {
      if (error instanceof DownloadFailure) throw new StepFailure('download', error.message)
      throw error
    }
    source = opened.stream
    let sourceError: unknown
    source.once('error', (error) => {
      sourceError = error
    })
    const plainHash = createHash('sha256')
    const sniff = sniffer()
    const zipWalk = walk
    const pageInstead = (): string | undefined =>
      notABundle(sniff.head(), opened.contentType, typeof options.source === 'string' && isUrl(options.source))
    const take = (chunk: Buffer): void => {
      guard.take(chunk.length)
      sniff.take(chunk)
    }
    try {
      // A zip problem is kept by the walk, not thrown: a device checks the checksum first, so a
      // tampered download must fail at `checksum`. The hash sees each chunk before it is transferred away.
      // Chunks are freed after use only from streams opened here: a caller's stream may hand out its own buffers.
      await decryptDownload(
        source,
        aesKey,
        iv,
        take,
        (chunk) => {
          plainHash.update(chunk)
          return zipWalk.write(chunk)
        },
        typeof options.source === 'string',
      )
    } catch (error) {
      const cause = guard.aborted ?? sourceError
      if (cause !== undefined)
        throw new StepFailure(
          'download',
          `reading ${describeSource(options.source)} failed: ${scrubUrls(describeError(cause))}`,
        )
      // A truncated download fails to decrypt; name the real cause when the size says so.
      checkSize(guard.received, options.expectedSize)
      const page = pageInstead()
      if (page) throw new StepFailure('download', page)
      throw error
    } finally {
      guard.stop()
    }
    checkSize(guard.received, options.expectedSize)
    const sha256 = plainHash.digest('hex')
    if (signed !== sha256) {
      const page = pageInstead()
      if (page) throw new StepFailure('download', page)
      throw new StepFailure(
        'checksum',
        `the signed checksum is for sha256 ${signed}, but the decrypted zip has sha256 ${sha256} (devices answer checksum_fail)`,
      )
    }
    const entries = await checkZipResult(walk)
    return { ok: true, sha256, entries, encryptedSize: guard.received }
  } catch (error) {
    if (error instanceof StepFailure) return { ok: false, step: error.step, message: error.message }
    throw error
  } finally {
    guard.stop()
    walk?.abort()
    source?.destroy()
    await rm(spillDir, { recursive: true, force: true })
  }
}

/** A URL with user:password@ is the user's mistake (exit 3), and is never quoted whole. */
function refuseCredentials(source: string): void {
  let url: URL | undefined
  try {
    url = new URL(source)
  } catch {
    throw inputError('source', 'input_bundle_url_invalid', `The bundle URL is not a valid URL: '${safeUrl(source)}'.`)
  }
  if (url.username || url.password) {
    throw inputError(
      'source',
      'input_bundle_url_invalid',
      `The bundle URL must not contain credentials (user:password@): devices download without them. Give the public URL of ${safeUrl(source)}.`,
    )
  }
}

const VERIFY_STEP_CODES: Record<VerifyStep, ErrorCode> = {
  download: 'verify_download_failed',
  'session-key': 'verify_session_key_rejected',
  decrypt: 'verify_decrypt_failed',
  checksum: 'verify_checksum_rejected',
  zip: 'verify_zip_rejected',
}

/** Like verifyBundle, but a device-side rejection throws LiveUpdateError(stage 'verify', step). */
export async function verifyBundleOrThrow(
  options: VerifyOptions,
): Promise<{ sha256: string; entries: number; encryptedSize: number }> {
  const report = await verifyBundle(options)
  if (!report.ok) {
    throw new LiveUpdateError(
      VERIFY_STEP_CODES[report.step],
      `A device would reject the bundle from ${describeSource(options.source)} at the ${report.step} step: ${report.message}`,
      {
        stage: 'verify',
        step: report.step,
      },
    )
  }
  return { sha256: report.sha256, entries: report.entries, encryptedSize: report.encryptedSize }
}
