import { createReadStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import zlib from 'node:zlib'
import type { BundleErrorCode } from '../error-codes.js'
import { LiveUpdateError } from '../errors.js'
import { type CacheCounts, FolderDeflateCache } from './cache.js'
import { DeflatePool } from './deflate-pool.js'
import { adoptEarlyDeflateWorkers } from './early-workers.js'
import { EOCD_SIZE, LOCAL_HEADER_SIZE, MAX_OFFSET, METHOD_DEFLATED, METHOD_STORED } from './format.js'
import { centralHeader, endOfCentralDirectory, type EntryRecord, localHeader } from './headers.js'
import {
  FileChangedError,
  FileReader,
  isScript,
  prepareFile,
  type PrepareTask,
  shouldDeflate,
  SMALL_FILE_LIMIT,
} from './prepare.js'
import { prepareLargeFile } from './prepare-large.js'
import type { ScannedFolder, ZipSourceEntry } from './scan.js'
import { writeOrder } from './write-order.js'

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
  /** Folder of the incremental deflate cache (cache.ts); none by default. */
  cacheDir?: string
  /**
   * Workers started by the caller (deflateWorkersOnDemand), so their start-up overlaps the scan;
   * the caller closes them. Overrides `workers`.
   */
  pool?: DeflatePool
}

export interface ZipFileDigest {
  name: string
  size: number
  sha256: string
}

export interface ZipSummary {
  zipSize: number
  entryCount: number
  /** Every file (not folders), in name order, with the SHA-256 of its plain content. */
  files: ZipFileDigest[]
  /** Whether any script mentions notifyAppReady (the plugin rolls back updates that never call it). */
  mentionsNotifyAppReady: boolean
  /** How the deflate cache served this bundle, when one was given. */
  cache?: CacheCounts
}

/** An entry ready to be written: its header fields are known, its data is in memory or on disk. */
interface PreparedEntry {
  source: ZipSourceEntry
  method: number
  crc: number
  sha256: string
  size: number
  compressedSize: number
  /** In-memory data, or a file to stream (the source itself, or a spill file of deflated data). */
  data: Buffer | { file: string; spill: boolean }
  mentionsNotifyAppReady: boolean
  /** Hands in-memory data from a worker back for reuse (deflate-pool.ts); the data is gone afterwards. */
  release?: () => void
}

/** Headers and small files are passed on in chunks of about this size: fewer cipher, hash and write calls (each write costs a thread-pool round trip). */
const COALESCE_BYTES = 1024 * 1024

function zipError(code: BundleErrorCode, message: string, cause?: unknown): LiveUpdateError {
  return new LiveUpdateError(code, message, { stage: 'bundle', input: 'path', cause })
}

function changedError(name: string): LiveUpdateError {
  return zipError(
    'bundle_file_changed',
    `'${name}' changed while the bundle was being written. Make sure the build has finished before bundling or publishing.`,
  )
}

function readError(name: string, error: unknown): LiveUpdateError {
  if (error instanceof LiveUpdateError) return error
  if (error instanceof FileChangedError) return changedError(name)
  const code = (error as NodeJS.ErrnoException)?.code
  if (code === 'EACCES' || code === 'EPERM') {
    return zipError(
      'bundle_file_permission_denied',
      `Could not read '${name}' from the web output: permission denied. Make it readable by the user running the bundle.`,
      error,
    )
  }
  return zipError(
    'bundle_file_unreadable',
    `Could not read '${name}' from the web output: ${(error as Error).message}`,
    error,
  )
}

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
 * Writes the folder as a zip stream, entries in write-order.ts's order. Entries are
 * prepared (read, CRC'd, hashed, deflated) ahead of the writer, several at a time, so every core
 * works while the output stays strictly ordered and reproducible.
 */
export function createZipStream(
  folder: ScannedFolder,
  options: ZipOptions = {},
): { stream: Readable; summary: Promise<ZipSummary> } {
  let resolveSummary!: (summary: ZipSummary) => void
  let rejectSummary!: (error: unknown) => void
  const summary = new Promise<ZipSummary>((resolve, reject) => {
    resolveSummary = resolve
    rejectSummary = reject
  })
  summary.catch(() => undefined)
  // A readable stream keeps pieces queued after the generator moved on: no buffer reuse here.
  const generator = writeZip(folder, settingsOf(folder, options, false))
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

/**
 * The zip as a sequence of pieces (headers, file data), for a consumer that has used each piece
 * (encrypted or copied it) by the time it asks for the next: a worker's batch buffer then goes
 * back to the worker for its next batch instead of being left to the garbage collector, which
 * keeps both memory and GC time flat. The generator's return value is the summary. Call
 * `return()` on it when stopping early, so started work is cleaned up.
 */
export function zipPieces(folder: ScannedFolder, options: ZipOptions = {}): AsyncGenerator<Buffer, ZipSummary> {
  return writeZip(folder, settingsOf(folder, options, true))
}

function settingsOf(folder: ScannedFolder, options: ZipOptions, recycle: boolean): Settings {
  return {
    level: options.level ?? 6,
    tempDir: options.tempDir ?? os.tmpdir(),
    lookahead: options.lookahead ?? 512,
    lookaheadBytes: options.lookaheadBytes ?? 16 * 1024 * 1024,
    workers: options.pool ? 0 : (options.workers ?? defaultWorkers(folder)),
    cacheDir: options.cacheDir,
    pool: options.pool,
    recycle,
  }
}

/** Below this much input, workers cost more to start than they save. */
const WORKERS_FROM_BYTES = 2 * 1024 * 1024

/** Workers pay off once there is real work: a tiny app is faster without their start-up. */
function defaultWorkers(folder: ScannedFolder): number {
  const cores = os.availableParallelism()
  return cores > 1 && folder.rawSize > WORKERS_FROM_BYTES ? cores : 0
}

/**
 * Deflate workers started while the folder is being scanned: the scan calls `sawBytes` with its
 * running total, and the workers (one per core) start as soon as the bundle is big enough to
 * need them, so their start-up (~100 ms of module loading each) overlaps the rest of the scan.
 * A small bundle never starts them: a worker still starting up also holds up the process exit.
 */
export function deflateWorkersOnDemand(options: { cacheDir?: string } = {}): {
  sawBytes(total: number): void
  use(folder: ScannedFolder): DeflatePool | undefined
  close(): Promise<void>
} {
  const cores = os.availableParallelism()
  let pool: DeflatePool | undefined
  const start = () => {
    if (!pool && cores > 1)
      pool = adoptEarlyDeflateWorkers(options.cacheDir) ?? new DeflatePool(cores, { cacheDir: options.cacheDir })
    return pool
  }
  return {
    sawBytes: (total) => void (total > WORKERS_FROM_BYTES && start()),
    use: (folder) => (folder.rawSize > WORKERS_FROM_BYTES ? start() : undefined),
    close: async () => pool?.close(),
  }
}

type Settings = Required<Omit<ZipOptions, 'cacheDir' | 'pool'>> &
  Pick<ZipOptions, 'cacheDir' | 'pool'> & {
    /** The consumer is done with each piece when it asks for the next: worker buffers are reused. */
    recycle: boolean
  }

/** Prepares entries on the workers, the main thread, or by streaming (large files). */
class Preparer {
  private readonly pool?: DeflatePool
  private readonly ownsPool: boolean
  private readonly reader = new FileReader()
  private readonly cache?: FolderDeflateCache
  private readonly settings: Settings
  /** One script calling notifyAppReady is all the check needs: later scripts are not searched. */
  private sawNotifyAppReady = false

  constructor(settings: Settings) {
    this.settings = settings
    this.pool =
      settings.pool ??
      (settings.workers > 0 ? new DeflatePool(settings.workers, { cacheDir: settings.cacheDir }) : undefined)
    this.ownsPool = !settings.pool
    if (!this.pool && settings.cacheDir) this.cache = new FolderDeflateCache(settings.cacheDir)
  }

  async prepare(entry: ZipSourceEntry): Promise<PreparedEntry> {
    if (entry.isDirectory || !entry.file) {
      return {
        source: entry,
        method: METHOD_STORED,
        crc: 0,
        sha256: '',
        size: 0,
        compressedSize: 0,
        data: Buffer.alloc(0),
        mentionsNotifyAppReady: false,
      }
    }
    const task: PrepareTask = {
      file: entry.file,
      size: entry.size,
      deflate: shouldDeflate(entry.name),
      scanScript: !this.sawNotifyAppReady && isScript(entry.name),
      level: this.settings.level,
    }
    if (entry.size > SMALL_FILE_LIMIT) {
      const spill = path.join(this.settings.tempDir, `live-update-spill-${randomBytes(8).toString('hex')}`)
      const large = await prepareLargeFile(task, spill).catch(async (error: unknown) => {
        await rm(spill, { force: true })
        throw error
      })
      if (!large.deflated && task.deflate) await rm(spill, { force: true })
      this.sawNotifyAppReady ||= large.mentionsNotifyAppReady
      return { source: entry, method: large.deflated ? METHOD_DEFLATED : METHOD_STORED, ...large }
    }
    let prepared
    if (this.pool) prepared = await this.pool.run(task)
    else {
      prepared = prepareFile(task, this.reader, this.cache)
      // The reader's and the cache's buffers are reused: what they returned is copied before the next read.
      if (!prepared.deflated || prepared.cached) prepared = { ...prepared, data: Buffer.from(prepared.data) }
    }
    this.sawNotifyAppReady ||= prepared.mentionsNotifyAppReady
    return {
      source: entry,
      method: prepared.deflated ? METHOD_DEFLATED : METHOD_STORED,
      compressedSize: prepared.data.length,
      ...prepared,
    }
  }

  cacheCounts(): CacheCounts | undefined {
    if (!this.settings.cacheDir) return undefined
    return this.pool ? { ...this.pool.cacheCounts } : { ...this.cache!.counts }
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool?.close()
    this.cache?.flush()
  }
}

/** Removes the entry's spill file, if it has one; undefined (nothing to wait for) otherwise. */
function releaseEntry(entry: PreparedEntry): Promise<void> | undefined {
  if (!Buffer.isBuffer(entry.data) && entry.data.spill) return rm(entry.data.file, { force: true })
  return undefined
}

/**
 * Streams a file's data into the zip, checking that what is written is what the header says:
 * a stored file rewritten in place between the two reads has the same size but another CRC.
 */
async function* streamData(entry: PreparedEntry, data: { file: string; spill: boolean }): AsyncGenerator<Buffer> {
  let streamed = 0
  let crc = 0
  for await (const chunk of createReadStream(data.file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    streamed += chunk.length
    if (streamed > entry.compressedSize) throw changedError(entry.source.name)
    if (!data.spill) crc = zlib.crc32(chunk, crc)
    yield chunk
  }
  if (streamed !== entry.compressedSize || (!data.spill && crc !== entry.crc)) throw changedError(entry.source.name)
}

async function* writeZip(folder: ScannedFolder, settings: Settings): AsyncGenerator<Buffer, ZipSummary> {
  const preparer = new Preparer(settings)
  const entries = writeOrder(folder.entries)
  const pending: { entry: ZipSourceEntry; prepared: Promise<PreparedEntry>; cost: number }[] = []
  let next = 0
  let costAhead = 0
  const fill = () => {
    while (next < entries.length && pending.length < settings.lookahead) {
      const entry = entries[next]
      const cost = Math.min(entry.size, SMALL_FILE_LIMIT)
      if (pending.length > 0 && costAhead + cost > settings.lookaheadBytes) break
      const prepared = preparer.prepare(entry)
      prepared.catch(() => undefined) // surfaced when awaited in order
      pending.push({ entry, prepared, cost })
      costAhead += cost
      next++
    }
  }

  const records: EntryRecord[] = []
  // Listed in name order (the scan's), whatever the write order: a release's file list stays sorted.
  const nameOrder = new Map(folder.entries.map((entry, index) => [entry, index]))
  const filesByName: (ZipFileDigest | undefined)[] = new Array(folder.entries.length)
  let offset = 0
  let mentionsNotifyAppReady = false
  try {
    fill()
    while (pending.length > 0) {
      const head = pending.shift()!
      costAhead -= head.cost
      const prepared = await head.prepared.catch((error: unknown) => {
        throw readError(head.entry.name, error)
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
        if (offset + LOCAL_HEADER_SIZE + record.name.length + record.compressedSize > MAX_OFFSET) throw tooLarge()
        mentionsNotifyAppReady ||= prepared.mentionsNotifyAppReady
        const header = localHeader(record)
        yield header
        offset += header.length
        if (Buffer.isBuffer(prepared.data)) {
          if (prepared.data.length > 0) yield prepared.data
        } else {
          yield* streamData(prepared, prepared.data)
        }
        offset += record.compressedSize
        records.push(record)
        if (!prepared.source.isDirectory)
          filesByName[nameOrder.get(head.entry)!] = {
            name: prepared.source.name,
            size: prepared.size,
            sha256: prepared.sha256,
          }
      } finally {
        // Here the consumer has used the data (it asked for the next piece), or the bundle failed.
        if (settings.recycle) prepared.release?.()
        // Most entries are in memory: no promise to wait for (one per entry was GC churn).
        const released = releaseEntry(prepared)
        if (released) await released
      }
    }
  } finally {
    // On failure or early close, let what was started finish and clean up its spill files.
    for (const item of pending) void item.prepared.then(releaseEntry, () => undefined)
    await preparer.close()
  }

  const centralOffset = offset
  for (const record of records) {
    const header = centralHeader(record)
    offset += header.length
    if (offset + EOCD_SIZE > MAX_OFFSET) throw tooLarge()
    yield header
  }
  yield endOfCentralDirectory(records.length, offset - centralOffset, centralOffset)
  offset += EOCD_SIZE
  const files = filesByName.filter((file) => file !== undefined)
  return { zipSize: offset, entryCount: records.length, files, mentionsNotifyAppReady, cache: preparer.cacheCounts() }
}

function tooLarge(): LiveUpdateError {
  return zipError(
    'bundle_zip_too_large',
    'The bundle would be 4 GiB or larger, which needs ZIP64; devices are not tested with ZIP64. Make the web output smaller.',
  )
}
