import { createReadStream, createWriteStream } from 'node:fs'
import { readFile, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Transform } from 'node:stream'
import zlib from 'node:zlib'
import { promisify } from 'node:util'
import { createHash, randomBytes } from 'node:crypto'
import { METHOD_DEFLATED, METHOD_STORED } from './format.js'
import type { DeflatePool } from './deflate-pool.js'
import type { ZipSourceEntry } from './scan.js'

const deflateRaw = promisify(zlib.deflateRaw)

/** Formats that are already compressed: deflating them costs time for no gain, so they are stored. */
const PRECOMPRESSED = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'heic', 'heif', 'jxl', 'ico',
  'woff', 'woff2', 'mp3', 'mp4', 'm4a', 'm4v', 'aac', 'ogg', 'oga', 'opus', 'webm', 'mov',
  'zip', 'gz', 'tgz', 'br', 'zst', 'xz', 'bz2', '7z', 'rar', 'pdf', 'wasm.gz',
])
const SCRIPT_EXTENSIONS = new Set(['js', 'mjs', 'cjs'])
const NOTIFY_APP_READY = Buffer.from('notifyAppReady')

/** Files up to this size are read whole (bounded by the writer's in-flight budget); larger ones stream. */
export const SMALL_FILE_LIMIT = 8 * 1024 * 1024

export interface CompressOptions {
  level: number
  tempDir: string
  /** Worker threads for small files; without it they are compressed on libuv's thread pool. */
  pool?: DeflatePool
}

/** An entry ready to be written: its header fields are known, its data is in memory or on disk. */
export interface PreparedEntry {
  source: ZipSourceEntry
  method: number
  crc: number
  /** SHA-256 of the plain content, lowercase hex (empty for directories). */
  sha256: string
  size: number
  compressedSize: number
  /** In-memory data, or a file to stream (the source itself, or a spill file of deflated data). */
  data: Buffer | { file: string; spill: boolean }
  mentionsNotifyAppReady: boolean
}

function extensionOf(name: string): string {
  return path.posix.extname(name).slice(1).toLowerCase()
}

export function shouldDeflate(name: string): boolean {
  return !PRECOMPRESSED.has(extensionOf(name))
}

export function isScript(name: string): boolean {
  return SCRIPT_EXTENSIONS.has(extensionOf(name))
}

/** Finds the notifyAppReady call across chunk boundaries. */
class NeedleSearch {
  private tail = Buffer.alloc(0)
  found = false

  push(chunk: Buffer): void {
    if (this.found) return
    const edge = Buffer.concat([this.tail, chunk.subarray(0, NOTIFY_APP_READY.length - 1)])
    if (edge.includes(NOTIFY_APP_READY) || chunk.includes(NOTIFY_APP_READY)) {
      this.found = true
      return
    }
    this.tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - (NOTIFY_APP_READY.length - 1))))
  }
}

export async function prepareEntry(entry: ZipSourceEntry, options: CompressOptions): Promise<PreparedEntry> {
  if (entry.isDirectory || !entry.file) {
    return { source: entry, method: METHOD_STORED, crc: 0, sha256: '', size: 0, compressedSize: 0, data: Buffer.alloc(0), mentionsNotifyAppReady: false }
  }
  if (entry.size > SMALL_FILE_LIMIT) return prepareLargeFile(entry, entry.file, options)
  return options.pool ? preparePooled(entry, entry.file, options.pool, options.level) : prepareSmallFile(entry, entry.file, options)
}

async function preparePooled(entry: ZipSourceEntry, file: string, pool: DeflatePool, level: number): Promise<PreparedEntry> {
  const result = await pool.run(file, { size: entry.size, deflate: shouldDeflate(entry.name), scanScript: isScript(entry.name), level })
  return {
    source: entry,
    method: result.deflated ? METHOD_DEFLATED : METHOD_STORED,
    crc: result.crc,
    sha256: result.sha256,
    size: result.size,
    compressedSize: result.data.length,
    data: result.data,
    mentionsNotifyAppReady: result.mentionsNotifyAppReady,
  }
}

async function prepareSmallFile(entry: ZipSourceEntry, file: string, options: CompressOptions): Promise<PreparedEntry> {
  const content = await readFile(file)
  const crc = zlib.crc32(content)
  const mentionsNotifyAppReady = isScript(entry.name) && content.includes(NOTIFY_APP_READY)
  const sha256 = createHash('sha256').update(content).digest('hex')
  const base = { source: entry, crc, sha256, size: content.length, mentionsNotifyAppReady }
  if (content.length > 0 && shouldDeflate(entry.name)) {
    // zlib's async API runs on libuv's thread pool: several files compress at once on both cores.
    const deflated = await deflateRaw(content, { level: options.level })
    if (deflated.length < content.length) {
      return { ...base, method: METHOD_DEFLATED, compressedSize: deflated.length, data: deflated }
    }
  }
  return { ...base, method: METHOD_STORED, compressedSize: content.length, data: content }
}

/**
 * Large files never sit in memory: one streaming pass computes the CRC (and deflates into a
 * spill file when worth it), because the local header must hold CRC and sizes before the data.
 */
async function prepareLargeFile(entry: ZipSourceEntry, file: string, options: CompressOptions): Promise<PreparedEntry> {
  let crc = 0
  let size = 0
  const hash = createHash('sha256')
  const needle = new NeedleSearch()
  const scanScript = isScript(entry.name)
  const observe = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      crc = zlib.crc32(chunk, crc)
      hash.update(chunk)
      size += chunk.length
      if (scanScript) needle.push(chunk)
      callback(null, chunk)
    },
  })
  const base = { source: entry, mentionsNotifyAppReady: false }
  if (!shouldDeflate(entry.name)) {
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), observe, async function (source) {
      for await (const _chunk of source) void _chunk
    })
    return { ...base, sha256: hash.digest('hex'), method: METHOD_STORED, crc, size, compressedSize: size, data: { file, spill: false }, mentionsNotifyAppReady: needle.found }
  }
  const spill = path.join(options.tempDir, `live-update-spill-${randomBytes(8).toString('hex')}`)
  try {
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), observe, zlib.createDeflateRaw({ level: options.level }), createWriteStream(spill))
    const compressedSize = (await stat(spill)).size
    const sha256 = hash.digest('hex')
    if (compressedSize < size) {
      return { ...base, sha256, method: METHOD_DEFLATED, crc, size, compressedSize, data: { file: spill, spill: true }, mentionsNotifyAppReady: needle.found }
    }
    await rm(spill, { force: true })
    return { ...base, sha256, method: METHOD_STORED, crc, size, compressedSize: size, data: { file, spill: false }, mentionsNotifyAppReady: needle.found }
  } catch (error) {
    await rm(spill, { force: true })
    throw error
  }
}

export async function releaseEntry(entry: PreparedEntry): Promise<void> {
  if (!Buffer.isBuffer(entry.data) && entry.data.spill) await rm(entry.data.file, { force: true })
}
