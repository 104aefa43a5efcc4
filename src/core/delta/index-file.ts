/**
 * The per-app delta index (`live-update/<appId>/delta/index.json`): which files are already in
 * storage, encrypted under which session key. Delta objects are content-addressed
 * (`live-update/<appId>/delta/<key fingerprint>/<first 32 hex of the plain sha256>[.br]`), so a
 * release re-uploads only the files that changed, and every release of the app reuses one AES key
 * and IV.
 *
 * Reusing the key costs no secrecy: Capgo's encryption v2 wraps the AES key with the private key,
 * so anyone holding the app (and its public key) can unwrap it; what protects devices is the
 * signature, and every file hash stays signed. The key is recovered from the index's session key
 * with the app's public key, never stored in clear.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { describeError } from '../errors.js'
import type { BundleStore, Fetch, Logger, SigningKey } from '../types.js'
import { unwrapSessionKey } from '../verify.js'

export interface DeltaObject {
  key: string
  /** Stored Brotli-compressed (the manifest name then ends in `.br`). */
  brotli: boolean
  size: number
  /** The V3 signed SHA-256 (deterministic for a key): kept so unchanged files cost no RSA operation. */
  fileHash: string
}

export interface DeltaIndex {
  schema: 1
  keyId: string
  sessionKey: string
  /** By plain SHA-256 of the file. */
  objects: Record<string, DeltaObject>
}

export const deltaIndexKey = (appId: string): string => `live-update/${appId}/delta/index.json`

/**
 * 128 bits of the content hash name the object: collisions are out of reach, and every update
 * reply carries one such URL per file, where a full 64-hex hash would add ~5 % to its gzip size.
 */
export function deltaObjectKey(appId: string, sessionKey: string, sha256: string, brotli: boolean): string {
  const fingerprint = createHash('sha256').update(sessionKey).digest('hex').slice(0, 16)
  return `live-update/${appId}/delta/${fingerprint}/${sha256.slice(0, 32)}${brotli ? '.br' : ''}`
}

async function readPublic(url: string, doFetch: Fetch): Promise<string | undefined> {
  if (url.startsWith('file:')) return readFile(fileURLToPath(url), 'utf8').catch(() => undefined)
  const response = await doFetch(url, { signal: AbortSignal.timeout(30_000) })
  if (response.status === 404 || response.status === 403) {
    await response.body?.cancel()
    return undefined
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`)
  return response.text()
}

export interface LoadedIndex {
  index?: DeltaIndex
  /** The key and IV to encrypt this release with (the zip too), when an index can be reused. */
  aesKey?: Buffer
  iv?: Buffer
}

/**
 * The app's index when it was made with this signing key and its session key unwraps; otherwise
 * none (a fresh key is drawn and every file uploaded: the first delta release, or a key rotation).
 */
export async function loadDeltaIndex(
  store: BundleStore,
  appId: string,
  signing: SigningKey,
  logger: Logger,
  doFetch: Fetch = fetch,
): Promise<LoadedIndex> {
  const key = deltaIndexKey(appId)
  let text: string | undefined
  try {
    text = await readPublic(store.publicUrl(key), doFetch)
  } catch (error) {
    logger.warn(`Cannot read the delta index ${key} (${describeError(error)}): uploading every file of this release.`)
    return {}
  }
  if (text === undefined) return {}
  try {
    const index = JSON.parse(text) as DeltaIndex
    if (index.schema !== 1 || index.keyId !== signing.keyId || typeof index.objects !== 'object' || !index.objects)
      return {}
    const { aesKey, iv } = unwrapSessionKey(index.sessionKey, signing.publicKeyPem)
    return { index, aesKey, iv }
  } catch (error) {
    logger.warn(`The delta index ${key} is unusable (${describeError(error)}): starting a new one.`)
    return {}
  }
}

/** Replace the index (delete + put: stores refuse overwrites). Losing it only costs re-uploads. */
export async function saveDeltaIndex(store: BundleStore, appId: string, index: DeltaIndex): Promise<void> {
  const key = deltaIndexKey(appId)
  const bytes = Buffer.from(JSON.stringify(index))
  // No existence check first: deleting a missing key is a no-op on S3, and if a delete did fail,
  // the put below refuses to overwrite and says so.
  await store.delete(key).catch(() => undefined)
  await store.put(key, { size: bytes.length, open: () => Readable.from([bytes]) })
}
