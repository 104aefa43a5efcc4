import { createReadStream } from 'node:fs'
import os from 'node:os'
import { Readable } from 'node:stream'
import { LiveUpdateError } from '../errors.js'
import { centralHeader, endOfCentralDirectory, type EntryRecord, localHeader } from './headers.js'
import { type PreparedEntry, prepareEntry, releaseEntry, SMALL_FILE_LIMIT } from './compress.js'
import { DeflatePool } from './deflate-pool.js'
import type { ScannedFolder, ZipSourceEntry } from './scan.js'

export interface ZipOptions {
  /** Deflate level, 1-9. 6 is zlib's default and what Capgo's CLI uses. */
  level?: number
  /** Where large files' deflated data spills while their header is prepared. */
  tempDir?: string
  /** How many entries may be prepared ahead of the one being written. */
  lookahead?: number
  /** Upper bound on the bytes of files read ahead (memory stays flat whatever the bundle size). */
  lookaheadBytes?: number
  /** Worker threads compressing small files; default one per core for bundles over 2 MiB, 0 = none. */
  workers?: number
}

export interface ZipFileDigest {
  name: string
  size: number
  sha256: string
}

export interface ZipSummary {
  zipSize: number
  entryCount: number
  /** Every file (not folders), in zip entry order, with the SHA-256 of its plain content. */
  files: ZipFileDigest[]
  /** Whether any script mentions notifyAppReady (the plugin rolls back updates that never call it). */
  mentionsNotifyAppReady: boolean
}

const MAX_OFFSET = 0xffffffff
/** Headers and small files are passed on in chunks of about this size: fewer cipher and write calls. */
const COALESCE_BYTES = 256 * 1024

async function* coalesce<R>(source: AsyncGenerator<Buffer, R>, size: number): AsyncGenerator<Buffer, R> {
  let parts: Buffer[] = []
  let length = 0
  for (;;) {
    const next = await source.next()
    if (next.done) {
      if (length > 0) yield Buffer.concat(parts, length)
      return next.value
    }
    if (next.value.length >= size && length === 0) {
      yield next.value
      continue
    }
    parts.push(next.value)
    length += next.value.length
    if (length >= size) {
      yield Buffer.concat(parts, length)
      parts = []
      length = 0
    }
  }
}

/**
 * Writes the folder as a zip stream, entries in the scanned (sorted) order. Entries are
 * prepared (read, CRC'd, deflated) ahead of the writer, several at a time, so both cores work
 * while the output stays strictly ordered and reproducible.
 */
export function createZipStream(folder: ScannedFolder, options: ZipOptions = {}): { stream: Readable; summary: Promise<ZipSummary> } {
  let resolveSummary!: (summary: ZipSummary) => void
  let rejectSummary!: (error: unknown) => void
  const summary = new Promise<ZipSummary>((resolve, reject) => {
    resolveSummary = resolve
    rejectSummary = reject
  })
  summary.catch(() => undefined)
  const generator = writeZip(folder, {
    level: options.level ?? 6,
    tempDir: options.tempDir ?? os.tmpdir(),
    lookahead: options.lookahead ?? 64,
    lookaheadBytes: options.lookaheadBytes ?? 8 * 1024 * 1024,
    workers: options.workers ?? defaultWorkers(folder),
  })
  async function* guarded(): AsyncGenerator<Buffer> {
    try {
      const result = yield* coalesce(generator, COALESCE_BYTES)
      resolveSummary(result)
    } catch (error) {
      rejectSummary(error)
      throw error
    }
  }
  return { stream: Readable.from(guarded(), { objectMode: false }), summary }
}

/** Workers pay off once there is real work: a tiny app is faster without their start-up. */
function defaultWorkers(folder: ScannedFolder): number {
  const cores = os.availableParallelism()
  return cores > 1 && folder.rawSize > 2 * 1024 * 1024 ? cores : 0
}

async function* writeZip(folder: ScannedFolder, options: Required<ZipOptions>): AsyncGenerator<Buffer, ZipSummary> {
  const pool = options.workers > 0 ? new DeflatePool(options.workers) : undefined
  const compress = { level: options.level, tempDir: options.tempDir, pool }
  const pending: { entry: ZipSourceEntry; prepared: Promise<PreparedEntry>; cost: number }[] = []
  let next = 0
  let costAhead = 0
  const fill = () => {
    while (next < folder.entries.length && pending.length < options.lookahead) {
      const entry = folder.entries[next]
      const cost = Math.min(entry.size, SMALL_FILE_LIMIT)
      if (pending.length > 0 && costAhead + cost > options.lookaheadBytes) break
      const prepared = prepareEntry(entry, compress)
      prepared.catch(() => undefined) // surfaced when awaited in order
      pending.push({ entry, prepared, cost })
      costAhead += cost
      next++
    }
  }

  const records: EntryRecord[] = []
  let offset = 0
  let mentionsNotifyAppReady = false
  const files: ZipFileDigest[] = []
  try {
    fill()
    while (pending.length > 0) {
      const head = pending.shift()!
      costAhead -= head.cost
      const prepared = await head.prepared.catch((error: unknown) => {
        throw new LiveUpdateError('bundle_file_unreadable', `Could not read '${head.entry.name}' from the web output: ${(error as Error).message}`, { stage: 'bundle', input: 'path', cause: error })
      })
      fill()
      try {
        const record: EntryRecord = {
          name: Buffer.from(prepared.source.name),
          method: prepared.method,
          crc: prepared.crc,
          compressedSize: prepared.compressedSize,
          size: prepared.size,
          isDirectory: prepared.source.isDirectory,
          offset,
        }
        if (offset + 30 + record.name.length + record.compressedSize > MAX_OFFSET) {
          throw new LiveUpdateError('bundle_zip_too_large', 'The bundle would be larger than 4 GiB, which needs ZIP64; devices are not tested with ZIP64. Make the web output smaller.', { stage: 'bundle', input: 'path' })
        }
        mentionsNotifyAppReady ||= prepared.mentionsNotifyAppReady
        const header = localHeader(record)
        yield header
        offset += header.length
        if (Buffer.isBuffer(prepared.data)) {
          if (prepared.data.length > 0) yield prepared.data
        } else {
          let streamed = 0
          for await (const chunk of createReadStream(prepared.data.file, { highWaterMark: 1 << 20 })) {
            streamed += (chunk as Buffer).length
            yield chunk as Buffer
          }
          if (streamed !== record.compressedSize) {
            throw new LiveUpdateError('bundle_file_changed', `'${head.entry.name}' changed while the bundle was being written. Make sure the build has finished before publishing.`, { stage: 'bundle', input: 'path' })
          }
        }
        offset += record.compressedSize
        records.push(record)
        if (!prepared.source.isDirectory) files.push({ name: prepared.source.name, size: prepared.size, sha256: prepared.sha256 })
      } finally {
        await releaseEntry(prepared)
      }
    }
  } finally {
    // On failure or early close, let what was started finish and clean up its spill files.
    for (const item of pending) void item.prepared.then(releaseEntry, () => undefined)
    await pool?.close()
  }

  const centralOffset = offset
  for (const record of records) {
    const header = centralHeader(record)
    yield header
    offset += header.length
  }
  yield endOfCentralDirectory(records.length, offset - centralOffset, centralOffset)
  offset += 22
  return { zipSize: offset, entryCount: records.length, files, mentionsNotifyAppReady }
}
