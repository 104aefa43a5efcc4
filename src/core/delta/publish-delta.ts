/**
 * Delta publishing: every web file as its own encrypted object beside the bundle zip, and the
 * manifest the responder inlines in update replies (`<bundle key>.manifest.json`). Devices
 * download only the entries whose plain hash they do not hold yet; the zip stays the fallback
 * `url`. Nothing is half-done: on a failure every object this run uploaded is deleted again.
 */
import { Readable } from 'node:stream'
import { describeError } from '../errors.js'
import { signManifest } from '../signature.js'
import type { BundleStore, Logger, SigningKey } from '../types.js'
import { scanWebDir } from '../zip/scan.js'
import { mapPool } from './pool.js'
import { DEFAULT_BROTLI_QUALITY, prepareFile } from './prepare.js'
import { checkManifestNames, type ManifestEntry } from './rules.js'
import { compareUtf8 } from '../signature.js'

export interface DeltaOptions {
  webDir: string
  version: string
  signing: SigningKey
  /** The bundle encryptor's `sealFile`: the same key and IV as the zip. */
  seal: (plain: Uint8Array) => Buffer
  store: BundleStore
  /** The bundle zip's object key; delta objects go under `<objectKey>.files/`. */
  objectKey: string
  logger: Logger
  brotliQuality?: number
  /** Files prepared and uploaded at once (default 8). */
  concurrency?: number
}

export interface DeltaResult {
  manifestKey: string
  manifestUrl: string
  manifestSignature: string
  manifest: ManifestEntry[]
  /** Every object written (files and manifest), for cleanup. */
  keys: string[]
  /** Bytes of the uploaded file objects (manifest excluded). */
  uploadedBytes: number
  compressedFiles: number
}

export const manifestKeyFor = (objectKey: string): string => `${objectKey}.manifest.json`
export const fileKeyFor = (objectKey: string, fileName: string): string => `${objectKey}.files/${fileName}`

function bodyOf(bytes: Buffer) {
  return { size: bytes.length, open: () => Readable.from([bytes]) }
}

export async function publishDelta(options: DeltaOptions): Promise<DeltaResult> {
  const folder = await scanWebDir(options.webDir)
  const files = folder.entries.filter((entry) => !entry.isDirectory && entry.file)
  // `.br` is only added to names that do not end in it already, so targets are the real paths.
  checkManifestNames(files.map((entry) => entry.name))
  const keys: string[] = []
  let uploadedBytes = 0
  let compressedFiles = 0
  try {
    const entries = await mapPool(files, options.concurrency ?? 8, async (entry) => {
      const prepared = await prepareFile(entry.name, entry.file as string, options.signing, options.seal, options.brotliQuality ?? DEFAULT_BROTLI_QUALITY)
      const key = fileKeyFor(options.objectKey, prepared.fileName)
      const stored = await options.store.put(key, bodyOf(prepared.body))
      keys.push(stored.key)
      uploadedBytes += prepared.body.length
      if (prepared.fileName !== prepared.name) compressedFiles++
      return { prepared, url: stored.url }
    })
    entries.sort((a, b) => compareUtf8(a.prepared.fileName, b.prepared.fileName))
    checkManifestNames(entries.map((entry) => entry.prepared.fileName))
    const manifest: ManifestEntry[] = entries.map(({ prepared, url }) => ({ file_name: prepared.fileName, file_hash: prepared.fileHash, download_url: url }))
    const manifestSignature = signManifest(
      options.signing,
      options.version,
      entries.map(({ prepared }) => ({ file_name: prepared.fileName, sha256: prepared.sha256 })),
    )
    const manifestKey = manifestKeyFor(options.objectKey)
    const stored = await options.store.put(manifestKey, bodyOf(Buffer.from(JSON.stringify(manifest))))
    keys.push(stored.key)
    options.logger.info(`Delta: ${manifest.length} files (${compressedFiles} Brotli-compressed), ${uploadedBytes} bytes, manifest ${stored.key}`)
    return { manifestKey: stored.key, manifestUrl: stored.url, manifestSignature, manifest, keys, uploadedBytes, compressedFiles }
  } catch (error) {
    await removeDelta(options.store, keys, options.logger)
    throw error
  }
}

/** Best effort: a key that cannot be deleted is named in a warning, never hides the first error. */
export async function removeDelta(store: BundleStore, keys: string[], logger: Logger): Promise<void> {
  const failed: string[] = []
  await mapPool(keys, 8, async (key) => {
    await store.delete(key).catch((error) => {
      failed.push(key)
      logger.debug(`delete ${key}: ${describeError(error)}`)
    })
  })
  if (failed.length) logger.warn(`Could not remove ${failed.length} delta objects (e.g. ${failed[0]}); delete them by hand.`)
}
