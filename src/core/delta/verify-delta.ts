/**
 * A delta release checked as a device would follow it, before any channel points at it: every
 * entry downloaded, decrypted with the bundle's session key, Brotli-decoded when its name ends in
 * `.br`, and hashed against its signed `file_hash`; the manifest signature checked over the
 * recovered hashes; the names checked against the plugin's path rules.
 */
import { createDecipheriv, createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { brotliDecompress } from 'node:zlib'
import { describeError, LiveUpdateError } from '../errors.js'
import { manifestSignatureText } from '../signature.js'
import type { Fetch } from '../types.js'
import { safeUrl } from '../url.js'
import { recoverSignedSha256, StepFailure, unwrapSessionKey } from '../verify.js'
import { mapPool } from './pool.js'
import { checkManifestNames, type ManifestEntry } from './rules.js'

const decompress = promisify(brotliDecompress)

export interface VerifyDeltaOptions {
  manifest: ManifestEntry[]
  version: string
  manifestSignature: string
  sessionKey: string
  publicKeyPem: string
  fetch?: Fetch
  concurrency?: number
  timeoutMs?: number
  /**
   * Download and check only these entries (the objects a publish just uploaded). Reused,
   * content-addressed objects were checked by the publish that uploaded them and are never
   * replaced; their hashes still count in the manifest signature check.
   */
  only?: Set<string>
}

function failure(
  message: string,
  step: 'download' | 'session-key' | 'decrypt' | 'checksum',
  cause?: unknown,
): LiveUpdateError {
  return new LiveUpdateError(
    'verify_delta_failed',
    `Delta verification failed: ${message}. Nothing was pointed at this release.`,
    { stage: 'verify', step, cause },
  )
}

async function download(url: string, doFetch: Fetch, timeoutMs: number): Promise<Buffer> {
  if (url.startsWith('file:')) return readFile(fileURLToPath(url))
  const response = await doFetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  if (response.status !== 200) {
    await response.body?.cancel()
    throw new Error(`HTTP ${response.status}`)
  }
  return Buffer.from(await response.arrayBuffer())
}

export async function verifyDelta(
  options: VerifyDeltaOptions,
): Promise<{ files: number; downloaded: number; bytes: number }> {
  const doFetch = options.fetch ?? fetch
  try {
    checkManifestNames(options.manifest.map((entry) => entry.file_name))
  } catch (error) {
    throw failure(describeError(error), 'checksum', error)
  }
  let unwrapped: ReturnType<typeof unwrapSessionKey>
  try {
    unwrapped = unwrapSessionKey(options.sessionKey, options.publicKeyPem)
  } catch (error) {
    throw failure(describeError(error), 'session-key', error)
  }
  const { aesKey, iv, publicKey } = unwrapped
  let bytes = 0
  let downloaded = 0
  const hashes = await mapPool(options.manifest, options.concurrency ?? 16, async (entry) => {
    let expected: string
    try {
      expected = recoverSignedSha256(entry.file_hash, publicKey)
    } catch (error) {
      throw failure(
        `${entry.file_name}: ${error instanceof StepFailure ? error.message : describeError(error)}`,
        'checksum',
        error,
      )
    }
    if (options.only && !options.only.has(entry.file_name)) return { file_name: entry.file_name, sha256: expected }
    downloaded++
    let body: Buffer
    try {
      body = await download(entry.download_url, doFetch, options.timeoutMs ?? 60_000)
    } catch (error) {
      throw failure(
        `cannot download ${entry.file_name} from ${safeUrl(entry.download_url)} (${describeError(error)})`,
        'download',
        error,
      )
    }
    bytes += body.length
    let plain: Buffer
    try {
      const decipher = createDecipheriv('aes-128-cbc', aesKey, iv)
      plain = Buffer.concat([decipher.update(body), decipher.final()])
      if (entry.file_name.endsWith('.br')) plain = await decompress(plain)
    } catch (error) {
      throw failure(`${entry.file_name} does not decrypt/decompress (${describeError(error)})`, 'decrypt', error)
    }
    const actual = createHash('sha256').update(plain).digest('hex')
    if (actual !== expected)
      throw failure(`${entry.file_name} has sha256 ${actual}, its file_hash says ${expected}`, 'checksum')
    return { file_name: entry.file_name, sha256: actual }
  })
  const text = manifestSignatureText(options.version, hashes)
  let signed: string
  try {
    signed = recoverSignedSha256(options.manifestSignature, publicKey)
  } catch (error) {
    throw failure(`the manifest signature is unusable (${describeError(error)})`, 'checksum', error)
  }
  if (signed !== createHash('sha256').update(text, 'utf8').digest('hex')) {
    throw failure('the manifest signature does not match its entries and version', 'checksum')
  }
  return { files: options.manifest.length, downloaded, bytes }
}
