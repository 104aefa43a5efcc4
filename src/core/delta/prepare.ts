/**
 * One web file as a delta object: Brotli when it is big enough and shrinks (then the name gets
 * `.br`), then AES-128-CBC with the bundle's key and IV, and its V3 signed plain SHA-256.
 * A file whose own name ends in `.br` is always compressed, so the device's `.br` stripping
 * lands it back at its real name.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { brotliCompress, constants } from 'node:zlib'
import { signSha256 } from '../crypto.js'
import type { SigningKey } from '../types.js'
import { BROTLI_MIN_SAVING, BROTLI_MIN_SIZE, BROTLI_SUFFIX } from './rules.js'

const compress = promisify(brotliCompress)

/**
 * Quality 5: on web assets it gets within a few percent of quality 11's size at ~50x the speed,
 * which keeps a delta publish close to a zip-only one (bench/delta-bench.mjs measures both).
 */
export const DEFAULT_BROTLI_QUALITY = 5

export interface PreparedFile {
  /** Path in the web folder (`/`-separated). */
  name: string
  /** Manifest `file_name`: `name`, plus `.br` when compressed. */
  fileName: string
  sha256: string
  /** V3 signed `sha256`: the manifest's `file_hash`. */
  fileHash: string
  size: number
  /** Encrypted bytes to upload. */
  body: Buffer
}

export async function prepareFile(
  name: string,
  path: string,
  signing: SigningKey,
  seal: (plain: Uint8Array) => Buffer,
  quality = DEFAULT_BROTLI_QUALITY,
): Promise<PreparedFile> {
  const plain = await readFile(path)
  const sha256 = createHash('sha256').update(plain).digest('hex')
  let stored: Buffer = plain
  let fileName = name
  const mustCompress = name.endsWith(BROTLI_SUFFIX)
  if (mustCompress || plain.length >= BROTLI_MIN_SIZE) {
    const compressed = await compress(plain, {
      params: { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_SIZE_HINT]: plain.length },
    })
    if (mustCompress || compressed.length < plain.length - BROTLI_MIN_SAVING) {
      stored = compressed
      fileName = `${name}${BROTLI_SUFFIX}`
    }
  }
  return { name, fileName, sha256, fileHash: signSha256(signing, sha256), size: plain.length, body: seal(stored) }
}
