/**
 * Delta publishing: every web file as its own encrypted, content-addressed object, and the
 * manifest the responder inlines in update replies (`<bundle key>.manifest.json`). Files already
 * in storage under this release's session key (the delta index) are reused, not re-uploaded.
 * Devices download only the entries whose plain hash they do not hold; the zip stays the
 * fallback `url`. Nothing is half-done: on a failure every object this run uploaded is deleted.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { signSha256 } from '../crypto.js'
import { describeError } from '../errors.js'
import { compareUtf8, signManifest } from '../signature.js'
import type { BundleStore, Logger, SigningKey } from '../types.js'
import { scanWebDir } from '../zip/scan.js'
import { deltaObjectKey, type DeltaIndex } from './index-file.js'
import { mapPool } from './pool.js'
import { DEFAULT_BROTLI_QUALITY, encodeFile } from './prepare.js'
import { BROTLI_SUFFIX, checkManifestNames, type ManifestEntry } from './rules.js'

export interface DeltaOptions {
  appId: string
  webDir: string
  version: string
  signing: SigningKey
  /** The bundle encryptor's `sealFile`: the same key and IV as the zip. */
  seal: (plain: Uint8Array) => Buffer
  /** The bundle's session key: objects are addressed under it. */
  sessionKey: string
  store: BundleStore
  /** The bundle zip's object key; the manifest goes to `<objectKey>.manifest.json`. */
  objectKey: string
  logger: Logger
  /** The app's delta index when it was made with this session key: its objects are reused. */
  index?: DeltaIndex
  brotliQuality?: number
  /** Files prepared and uploaded at once (default 16). */
  concurrency?: number
}

export interface DeltaResult {
  manifestKey: string
  manifestUrl: string
  manifestSignature: string
  manifest: ManifestEntry[]
  /** Objects this run wrote (new files and the manifest), for cleanup. */
  keys: string[]
  /** Manifest file names of the objects uploaded by this run (the ones to verify by download). */
  uploadedNames: Set<string>
  /** Bytes of the file objects this run uploaded (manifest excluded). */
  uploadedBytes: number
  compressedFiles: number
  reusedFiles: number
  /** The index to save once the release is verified. */
  index: DeltaIndex
}

export const manifestKeyFor = (objectKey: string): string => `${objectKey}.manifest.json`

function bodyOf(bytes: Buffer) {
  return { size: bytes.length, open: () => Readable.from([bytes]) }
}

export async function publishDelta(options: DeltaOptions): Promise<DeltaResult> {
  const folder = await scanWebDir(options.webDir)
  const files = folder.entries.filter((entry) => !entry.isDirectory && entry.file)
  // `.br` is only added to names that do not end in it already, so targets are the real paths.
  checkManifestNames(files.map((entry) => entry.name))
  const reusable = options.index && options.index.sessionKey === options.sessionKey ? options.index.objects : {}
  const index: DeltaIndex = {
    schema: 1,
    keyId: options.signing.keyId,
    sessionKey: options.sessionKey,
    objects: { ...reusable },
  }
  const keys: string[] = []
  const uploadedNames = new Set<string>()
  let uploadedBytes = 0
  let compressedFiles = 0
  let reusedFiles = 0
  try {
    const entries = await mapPool(files, options.concurrency ?? 16, async (entry) => {
      const plain = await readFile(entry.file as string)
      const sha256 = createHash('sha256').update(plain).digest('hex')
      // A name ending in .br must be stored compressed, whatever an earlier release did.
      const known = index.objects[sha256]
      if (known && typeof known.fileHash === 'string' && (known.brotli || !entry.name.endsWith(BROTLI_SUFFIX))) {
        reusedFiles++
        if (known.brotli) compressedFiles++
        const fileName = known.brotli ? `${entry.name}${BROTLI_SUFFIX}` : entry.name
        return { fileName, sha256, fileHash: known.fileHash, url: options.store.publicUrl(known.key) }
      }
      const fileHash = signSha256(options.signing, sha256)
      const encoded = await encodeFile(entry.name, plain, options.brotliQuality ?? DEFAULT_BROTLI_QUALITY)
      const body = options.seal(encoded.stored)
      const key = deltaObjectKey(options.appId, options.sessionKey, sha256, encoded.brotli)
      const stored = await putOrReuse(options.store, key, body)
      if (stored.uploaded) {
        keys.push(key)
        uploadedBytes += body.length
      }
      if (encoded.brotli) compressedFiles++
      index.objects[sha256] = { key, brotli: encoded.brotli, size: body.length, fileHash }
      uploadedNames.add(encoded.fileName)
      return { fileName: encoded.fileName, sha256, fileHash, url: stored.url }
    })
    entries.sort((a, b) => compareUtf8(a.fileName, b.fileName))
    checkManifestNames(entries.map((entry) => entry.fileName))
    const manifest: ManifestEntry[] = entries.map((entry) => ({
      file_name: entry.fileName,
      file_hash: entry.fileHash,
      download_url: entry.url,
    }))
    const manifestSignature = signManifest(
      options.signing,
      options.version,
      entries.map((entry) => ({ file_name: entry.fileName, sha256: entry.sha256 })),
    )
    const manifestKey = manifestKeyFor(options.objectKey)
    const stored = await options.store.put(manifestKey, bodyOf(Buffer.from(JSON.stringify(manifest))))
    keys.push(stored.key)
    options.logger.info(
      `Delta: ${manifest.length} files (${reusedFiles} already stored, ${manifest.length - reusedFiles} uploaded, ${compressedFiles} Brotli-compressed), ${uploadedBytes} bytes, manifest ${stored.key}`,
    )
    return {
      manifestKey: stored.key,
      manifestUrl: stored.url,
      manifestSignature,
      manifest,
      keys,
      uploadedNames,
      uploadedBytes,
      compressedFiles,
      reusedFiles,
      index,
    }
  } catch (error) {
    await removeDelta(options.store, keys, options.logger)
    throw error
  }
}

/**
 * Content-addressed: an object already at the key (a concurrent publish, or an index that lost
 * track of it) holds the same bytes when it has the same size, since the key names the content
 * and the session key; it is reused, and only objects this run wrote count as its own.
 */
async function putOrReuse(store: BundleStore, key: string, body: Buffer): Promise<{ url: string; uploaded: boolean }> {
  try {
    return { url: (await store.put(key, bodyOf(body))).url, uploaded: true }
  } catch (error) {
    if ((await store.size(key).catch(() => undefined)) === body.length)
      return { url: store.publicUrl(key), uploaded: false }
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
  if (failed.length)
    logger.warn(`Could not remove ${failed.length} delta objects (e.g. ${failed[0]}); delete them by hand.`)
}
