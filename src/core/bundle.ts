import { type FileHandle, open, rename, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { createBundleEncryptor, type BundleEncryptor } from './crypto.js'
import { LiveUpdateError } from './errors.js'
import { trackPath, untrackPath } from './leftovers.js'
import { signBundleMetadata } from './signature.js'
import type { BundleResult, FileStat, SigningKey } from './types.js'
import { assertSemver } from './version.js'
import { scanWebDir } from './zip/scan.js'
import { freeNow } from './zip/free-now.js'
import { deflateWorkersOnDemand, type ZipSummary, zipPieces } from './zip/writer.js'

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
    const summary = await writeEncrypted(pieces, encryptor, partial, options.signal)
    if (options.requireNotifyAppReady && !summary.mentionsNotifyAppReady) {
      throw new LiveUpdateError(
        'bundle_notify_app_ready_missing',
        "No .js file in the web output calls notifyAppReady(). Without CapacitorUpdater.notifyAppReady() the plugin rolls every update back. Call it when your app starts, or opt out with 'require-notify-app-ready: false' (CLI: --no-notify-check).",
        { stage: 'bundle', input: 'path' },
      )
    }
    const crypto = encryptor.result()
    await rename(partial, options.outFile)
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
    await workers.close()
  }
}

/** Plaintext is gathered into chunks of this size: fewer cipher, hash and write calls. */
const CHUNK_BYTES = 1024 * 1024

/**
 * Encrypts the zip's pieces into `file`, in order. No stream in between: each piece is used (copied
 * into the chunk being gathered, or encrypted) before the next is asked for, which lets the zip
 * writer reuse its workers' buffers (zipPieces). Small pieces are gathered into 1 MiB chunks.
 */
async function writeEncrypted(
  pieces: AsyncGenerator<Buffer, ZipSummary>,
  encryptor: BundleEncryptor,
  file: string,
  signal: AbortSignal | undefined,
): Promise<ZipSummary> {
  let handle: FileHandle | undefined
  let finished = false
  try {
    handle = await open(file, 'wx')
    const output = handle
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES)
    let filled = 0
    const write = async (ciphertext: Buffer): Promise<void> => {
      if (ciphertext.length === 0) return
      await output.write(ciphertext)
      freeNow(ciphertext)
    }
    const flush = async (): Promise<void> => {
      if (filled === 0) return
      const plaintext = chunk.subarray(0, filled)
      filled = 0
      await write(encryptor.update(plaintext))
    }
    for (;;) {
      signal?.throwIfAborted()
      const next = await pieces.next()
      if (next.done) {
        finished = true
        await flush()
        await write(encryptor.final())
        return next.value
      }
      const piece = next.value
      if (filled + piece.length <= CHUNK_BYTES) {
        piece.copy(chunk, filled)
        filled += piece.length
      } else {
        await flush()
        if (piece.length >= CHUNK_BYTES) await write(encryptor.update(piece))
        else filled = piece.copy(chunk, 0)
      }
    }
  } finally {
    // Stopped early (cancel, write failure): the zip writer ends its work and removes its spill files.
    if (!finished) await pieces.return(undefined as never).catch(() => undefined)
    await handle?.close()
  }
}

function largestFiles(entries: { name: string; size: number; isDirectory: boolean }[]): FileStat[] {
  return entries
    .filter((entry) => !entry.isDirectory)
    .sort((a, b) => b.size - a.size || a.name.localeCompare(b.name))
    .slice(0, LARGEST_FILES)
    .map((entry) => ({ path: entry.name, size: entry.size }))
}
