import { type FileHandle, open, rename, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { createBundleEncryptor, type BundleEncryptor } from './crypto.js'
import { LiveUpdateError } from './errors.js'
import { trackPath, untrackPath } from './leftovers.js'
import { signBundleMetadata } from './signature.js'
import type { BundleResult, FileStat, SigningKey } from './types.js'
import { assertSemver } from './version.js'
import { scanWebDir } from './zip/scan.js'
import { trimDeflateCache } from './zip/cache.js'
import { shouldDeflate } from './zip/prepare.js'
import type { ScannedFolder } from './zip/scan.js'
import { createStreamHasher, type StreamHasher } from './zip/stream-hasher.js'
import { deflateWorkersOnDemand, type ZipSummary, zipPieces } from './zip/writer.js'
import { holdYoungGeneration } from './young-generation.js'

export interface BundleOptions {
  webDir: string
  version: string
  signing: SigningKey
  /** Where the encrypted bundle is written; written under a temporary name and renamed when complete. */
  outFile: string
  requireNotifyAppReady: boolean
  tempDir?: string
  compressionLevel?: number
  /** The caller's encryptor, when it must seal more with the same key (delta files); one is made otherwise. */
  encryptor?: BundleEncryptor
  /** Cancellation: the streams are destroyed and nothing is left at `outFile`. */
  signal?: AbortSignal
  /** Folder of the incremental deflate cache; the zip is byte-identical with or without it. */
  cacheDir?: string
}

const LARGEST_FILES = 10

/**
 * Zip, encrypt and sign in one streaming pass: files are read, deflated (in parallel),
 * written in order, encrypted and hashed without the bundle ever being whole in memory.
 * On any failure nothing is left at `outFile`.
 */
export async function createBundle(options: BundleOptions): Promise<BundleResult> {
  const version = assertSemver(options.version)
  const workers = deflateWorkersOnDemand({ cacheDir: options.cacheDir })
  const partial = `${options.outFile}.partial-${randomBytes(4).toString('hex')}`
  trackPath(partial)
  let trimFor: Set<string> | undefined
  try {
    const folder = await scanWebDir(options.webDir, { onBytes: workers.sawBytes })
    const pool = workers.use(folder)
    const pieces = zipPieces(folder, {
      tempDir: options.tempDir,
      level: options.compressionLevel,
      cacheDir: options.cacheDir,
      pool,
      workers: pool ? undefined : 0,
    })
    const encryptor = options.encryptor ?? createBundleEncryptor(options.signing)
    const hasher = createStreamHasher({ thread: pool !== undefined && mainThreadBound(folder) })
    const summary = await writeEncrypted(pieces, encryptor, hasher, partial, options.signal)
    if (options.requireNotifyAppReady && !summary.mentionsNotifyAppReady) {
      throw new LiveUpdateError(
        'bundle_notify_app_ready_missing',
        "No .js file in the web output calls notifyAppReady(). Without CapacitorUpdater.notifyAppReady() the plugin rolls every update back. Call it when your app starts, or opt out with 'require-notify-app-ready: false' (CLI: --no-notify-check).",
        { stage: 'bundle', input: 'path' },
      )
    }
    const crypto = encryptor.result()
    await rename(partial, options.outFile)
    if (options.cacheDir) trimFor = new Set(summary.files.map((file) => file.sha256))
    return {
      version,
      sha256: crypto.sha256,
      checksum: crypto.checksum,
      signature: signBundleMetadata(options.signing, version, crypto.sha256),
      sessionKey: crypto.sessionKey,
      keyId: options.signing.keyId,
      fileCount: folder.fileCount,
      rawSize: folder.rawSize,
      zipSize: crypto.zipSize,
      encryptedSize: crypto.encryptedSize,
      encryptedSha256: crypto.encryptedSha256,
      largestFiles: largestFiles(folder.entries),
      files: summary.files,
      ...(summary.cache ? { cache: summary.cache } : {}),
    }
  } catch (error) {
    await rm(partial, { force: true })
    throw error
  } finally {
    untrackPath(partial)
    // The workers write the cache entries they still hold when they close: trim after that.
    await workers.close()
    if (trimFor && options.cacheDir) trimDeflateCache(options.cacheDir, options.compressionLevel ?? 6, trimFor)
  }
}

/**
 * Encrypts the zip's pieces into `file`, in order. No stream in between: each piece is copied into
 * the 1 MiB chunk being gathered before the next is asked for, which lets the zip writer reuse its
 * workers' buffers (zipPieces). This thread runs AES-128-CBC; the two SHA-256 run on the hasher's
 * thread when it has one, so a media-heavy bundle is not bound by this thread hashing.
 */
async function writeEncrypted(
  pieces: AsyncGenerator<Buffer, ZipSummary>,
  encryptor: BundleEncryptor,
  hasher: StreamHasher,
  file: string,
  signal: AbortSignal | undefined,
): Promise<ZipSummary> {
  let handle: FileHandle | undefined
  let finished = false
  try {
    handle = await open(file, 'wx')
    const output = handle
    let chunk = await hasher.buffer()
    let filled = 0
    const write = async (ciphertext: Buffer): Promise<void> => {
      // A file write may take fewer bytes than asked: the rest is written until none is left.
      for (let written = 0; written < ciphertext.length; )
        written += (await output.write(ciphertext, written, ciphertext.length - written)).bytesWritten
      hasher.cipher(ciphertext)
    }
    const flush = async (): Promise<void> => {
      if (filled === 0) return
      const ciphertext = encryptor.encrypt(chunk.subarray(0, filled))
      hasher.plain(chunk, filled)
      filled = 0
      chunk = await hasher.buffer()
      await write(ciphertext)
      holdYoungGeneration()
    }
    for (;;) {
      signal?.throwIfAborted()
      const next = await pieces.next()
      if (next.done) {
        finished = true
        await flush()
        await write(encryptor.finish())
        encryptor.complete(await hasher.digests())
        return next.value
      }
      const piece = next.value
      for (let start = 0; start < piece.length; ) {
        const copied = piece.copy(chunk, filled, start)
        filled += copied
        start += copied
        if (filled === chunk.length) await flush()
      }
    }
  } finally {
    // Stopped early (cancel, write failure): the zip writer ends its work and removes its spill files.
    if (!finished) await pieces.return(undefined as never).catch(() => undefined)
    hasher.close()
    await handle?.close()
  }
}

/**
 * Whether this thread, not the deflate workers, would set the pace: its AES and two SHA-256 run over
 * every byte of the zip, the workers' deflate over the compressible bytes only, spread over the
 * cores. Measured here (Node 24, one core): ~6 ns a zip byte for AES + 2 SHA-256, ~17 ns a
 * compressible byte for level-6 deflate, which shrinks web text to about a third. Then the hashes
 * get a thread of their own (a 256 MB build, 3/4 media, on 2 cores: 2.17 -> 1.66 s); for a
 * text-heavy build on 2 cores, a thread more only costs its start and memory.
 */
function mainThreadBound(folder: ScannedFolder): boolean {
  let stored = 0
  let compressible = 0
  for (const entry of folder.entries) {
    if (entry.isDirectory) continue
    if (shouldDeflate(entry.name)) compressible += entry.size
    else stored += entry.size
  }
  const mainNs = (stored + compressible / 3) * 6
  const workersNs = (compressible * 17) / os.availableParallelism()
  return mainNs > 0.8 * workersNs
}

function largestFiles(entries: { name: string; size: number; isDirectory: boolean }[]): FileStat[] {
  return entries
    .filter((entry) => !entry.isDirectory)
    .sort((a, b) => b.size - a.size || a.name.localeCompare(b.name))
    .slice(0, LARGEST_FILES)
    .map((entry) => ({ path: entry.name, size: entry.size }))
}
