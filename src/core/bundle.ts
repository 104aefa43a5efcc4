import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { randomBytes } from 'node:crypto'
import { createBundleEncryptor, type BundleEncryptor } from './crypto.js'
import { LiveUpdateError } from './errors.js'
import { trackPath, untrackPath } from './leftovers.js'
import { signBundleMetadata } from './signature.js'
import type { BundleResult, FileStat, SigningKey } from './types.js'
import { assertSemver } from './version.js'
import { scanWebDir } from './zip/scan.js'
import { createZipStream, deflateWorkersOnDemand } from './zip/writer.js'

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
    const zip = createZipStream(folder, {
      tempDir: options.tempDir,
      level: options.compressionLevel,
      cacheDir: options.cacheDir,
      pool,
      workers: pool ? undefined : 0,
    })
    const encryptor = options.encryptor ?? createBundleEncryptor(options.signing)
    await pipeline(zip.stream, encryptor.transform, createWriteStream(partial, { flags: 'wx' }), {
      signal: options.signal,
    })
    const summary = await zip.summary
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

function largestFiles(entries: { name: string; size: number; isDirectory: boolean }[]): FileStat[] {
  return entries
    .filter((entry) => !entry.isDirectory)
    .sort((a, b) => b.size - a.size || a.name.localeCompare(b.name))
    .slice(0, LARGEST_FILES)
    .map((entry) => ({ path: entry.name, size: entry.size }))
}
