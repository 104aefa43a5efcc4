/**
 * Entry preparation, the one implementation: read a file, CRC-32 and SHA-256 it, look for the
 * notifyAppReady call in scripts, deflate it when that makes it smaller. The deflate workers
 * (deflate-worker.ts) and the main thread (small bundles, where starting workers costs more
 * than it saves) both call `prepareFile`; prepare-large.ts streams files too big to hold.
 * Imports here carry `.ts` so the worker also runs from the sources (Node strips the types), and
 * stay light (no streams): the workers load this module at start-up.
 */
import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync } from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import type { DeflateCache } from './cache.ts'
import { freeNow } from './free-now.ts'

/**
 * Formats that are already compressed: deflating them costs time for no gain, so they are
 * stored. Compound names (`.wasm.gz`) end in one of these, so the last extension decides.
 */
export const PRECOMPRESSED: ReadonlySet<string> = new Set([
  'png',
  'jpg',
  'jpeg',
  'gif',
  'webp',
  'avif',
  'heic',
  'heif',
  'jxl',
  'ico',
  'woff',
  'woff2',
  'mp3',
  'mp4',
  'm4a',
  'm4v',
  'aac',
  'ogg',
  'oga',
  'opus',
  'webm',
  'mov',
  'zip',
  'gz',
  'tgz',
  'br',
  'zst',
  'xz',
  'bz2',
  '7z',
  'rar',
  'pdf',
])
const SCRIPT_EXTENSIONS: ReadonlySet<string> = new Set(['js', 'mjs', 'cjs'])
export const NOTIFY_APP_READY = Buffer.from('notifyAppReady')

/** Files up to this size are read whole (bounded by the writer's in-flight budget); larger ones stream. */
export const SMALL_FILE_LIMIT = 8 * 1024 * 1024

function extensionOf(name: string): string {
  return path.posix.extname(name).slice(1).toLowerCase()
}

export function shouldDeflate(name: string): boolean {
  return !PRECOMPRESSED.has(extensionOf(name))
}

export function isScript(name: string): boolean {
  return SCRIPT_EXTENSIONS.has(extensionOf(name))
}

/** What to do with one file. */
export interface PrepareTask {
  file: string
  /** Size the scan saw: a file that is now a different size changed during the bundle. */
  size: number
  deflate: boolean
  scanScript: boolean
  level: number
}

/** A prepared file: the entry's header fields and its data. */
export interface PreparedFile {
  crc: number
  /** SHA-256 of the plain content, lowercase hex. */
  sha256: string
  size: number
  deflated: boolean
  /** The entry's data as written: deflated, or the content itself. */
  data: Buffer
  mentionsNotifyAppReady: boolean
  /** Whether the deflated data came from the cache (after its byte-for-byte check). */
  cached: boolean
}

/** The file changed size between the scan and the read: the build is still writing. */
export class FileChangedError extends Error {
  constructor(file: string) {
    super(`${file} changed while the bundle was being written`)
    this.name = 'FileChangedError'
  }
}

/**
 * Reads whole files into one reused buffer: a fresh Buffer per file piles up garbage that a
 * worker's GC reclaims late (external memory), which inflates the process RSS.
 */
export class FileReader {
  private scratch = Buffer.allocUnsafeSlow(1 << 20)

  read(file: string, expectedSize: number): Buffer {
    // open, read, close: no fstat (the scan knew the size). Asking for one byte more than
    // expected tells a file that grew; a short read is the end of a file that shrank.
    if (expectedSize + 1 > this.scratch.length) this.scratch = Buffer.allocUnsafeSlow(expectedSize + 1)
    const fd = openSync(file, 'r')
    try {
      let read = 0
      for (;;) {
        const wanted = expectedSize + 1 - read
        const n = readSync(fd, this.scratch, read, wanted, read)
        read += n
        if (read > expectedSize) throw new FileChangedError(file)
        // A short read of a regular file is its end: no extra read to see 0.
        if (n < wanted) break
      }
      if (read !== expectedSize) throw new FileChangedError(file)
      return this.scratch.subarray(0, read)
    } finally {
      closeSync(fd)
    }
  }
}

/**
 * Prepares one file held in memory. `content` may be a reused buffer: the result's data is a
 * fresh deflate output, the cache's buffer (reused by its next lookup: `cached`) or `content`
 * itself; copy the last two before the next call.
 */
export function prepareContent(
  content: Buffer,
  task: PrepareTask,
  cache?: DeflateCache,
  output: OutputUse = 'kept',
): PreparedFile {
  const crc = zlib.crc32(content)
  const sha256 = createHash('sha256').update(content).digest('hex')
  const base = {
    crc,
    sha256,
    size: content.length,
    mentionsNotifyAppReady: task.scanScript && content.includes(NOTIFY_APP_READY),
  }
  if (task.deflate && content.length > 0) {
    const hit = cache?.get(sha256, task.level, content)
    if (hit)
      return {
        ...base,
        deflated: hit.length < content.length,
        data: hit.length < content.length ? hit : content,
        cached: true,
      }
    // One output buffer that holds any deflate of this content (zlib's deflateBound, rounded up):
    // the result is a view of it alone instead of a list of 16 KiB chunks and their concatenation.
    // When the caller copies the result and frees it ('copied'), the buffer is made larger than
    // Node's shared pool, so it is memory of its own that free-now.ts can release: from the pool,
    // every small file's output would stay until a GC (in the workers: 6 full collections a bundle).
    const bound = deflateBound(content.length)
    const chunkSize = output === 'copied' ? Math.max(bound, Buffer.poolSize + 1) : Math.max(64, bound)
    const packed = zlib.deflateRawSync(content, { level: task.level, chunkSize })
    cache?.put(sha256, task.level, packed)
    if (packed.length < content.length) return { ...base, deflated: true, data: packed, cached: false }
    // Not smaller: stored as it is. The deflate output is dropped (the cache copied what it keeps).
    freeNow(packed)
  }
  return { ...base, deflated: false, data: content, cached: false }
}

/** No deflate of `size` bytes is longer than this (zlib's deflateBound for raw deflate, rounded up). */
export function deflateBound(size: number): number {
  return size + (size >> 10) + 64
}

/**
 * What the caller does with a fresh deflate output: keeps it as the entry's data ('kept'), or copies
 * it and frees it at once ('copied': the deflate workers, which copy every result into a batch buffer).
 */
export type OutputUse = 'kept' | 'copied'

/** Reads and prepares one small file, synchronously (a worker's job; the main thread's for tiny bundles). */
export function prepareFile(
  task: PrepareTask,
  reader: FileReader,
  cache?: DeflateCache,
  output: OutputUse = 'kept',
): PreparedFile {
  return prepareContent(reader.read(task.file, task.size), task, cache, output)
}
