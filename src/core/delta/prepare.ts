/**
 * How one web file travels in a delta release: Brotli when it is big enough and shrinks (then
 * the name gets `.br`), else as is; sealing and signing happen in publish-delta. A file whose own
 * name ends in `.br` is always compressed, so the device's `.br` stripping lands it at its real name.
 */
import { promisify } from 'node:util'
import { brotliCompress, constants } from 'node:zlib'
import { BROTLI_MIN_SAVING, BROTLI_MIN_SIZE, BROTLI_SUFFIX } from './rules.js'

const compress = promisify(brotliCompress)

/**
 * Quality 5: on JS chunks ~7 % larger than quality 11 (Capgo CLI's default) at 28-121x the speed,
 * which keeps a delta publish close to a zip-only one (bench/delta-bench.mjs measures both).
 */
export const DEFAULT_BROTLI_QUALITY = 5

export interface EncodedFile {
  /** Manifest `file_name`: the path, plus `.br` when compressed. */
  fileName: string
  brotli: boolean
  /** The bytes to seal: compressed or the file as is. */
  stored: Buffer
}

export async function encodeFile(name: string, plain: Buffer, quality = DEFAULT_BROTLI_QUALITY): Promise<EncodedFile> {
  const mustCompress = name.endsWith(BROTLI_SUFFIX)
  if (mustCompress || plain.length >= BROTLI_MIN_SIZE) {
    const compressed = await compress(plain, {
      params: { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_SIZE_HINT]: plain.length },
    })
    if (mustCompress || compressed.length < plain.length - BROTLI_MIN_SAVING)
      return { fileName: `${name}${BROTLI_SUFFIX}`, brotli: true, stored: compressed }
  }
  return { fileName: name, brotli: false, stored: plain }
}
