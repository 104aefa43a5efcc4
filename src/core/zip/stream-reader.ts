/**
 * The Android view of a zip, checked as its bytes arrive: local headers back to back from offset 0,
 * as java.util.zip.ZipInputStream reads them, each entry inflated and CRC-checked while the
 * download goes on (in libuv's pool, a bounded number at a time), then the central directory from
 * the tail, cross-checked. Nothing is written to disk, except from the first deflated entry with a
 * data descriptor on: only the central directory says where such an entry ends, so from there the
 * bytes are spilled to a file and that part is walked once the download is complete.
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { once } from 'node:events'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { EntryCheck, ZipFormatError } from './entry-check.ts'
import {
  EOCD_SIGNATURE,
  FLAG_DESCRIPTOR,
  LOCAL_HEADER_SIZE,
  LOCAL_SIGNATURE,
  METHOD_DEFLATED as DEFLATED,
} from './format.ts'
import {
  checkLocalEntriesFrom,
  crossCheck,
  listZipEntries,
  localEntry,
  localHeaderLength,
  parseCentralDirectory,
  parseEndRecord,
  parseLocalHeader,
  type ZipEntry,
  type ZipListing,
} from './reader.ts'

/** Inflations in flight at once (libuv's pool has 4 threads), and the compressed bytes they may hold: memory stays flat. */
const MAX_PENDING = 4
const MAX_PENDING_BYTES = 16 * 1024 * 1024
/** The central directory of a bundle within the limits (65,535 names) fits easily; more is hostile. */
const MAX_TAIL_BYTES = 64 * 1024 * 1024

export interface WalkResult {
  /** Both views agreed; the central directory's entries (the iOS view). */
  listing: ZipListing
}

export class LocalWalker {
  private offset = 0
  private carry: Buffer = Buffer.alloc(0)
  private state: 'header' | 'data' | 'tail' | 'spill' = 'header'
  private current: { entry: ZipEntry; check: EntryCheck; left: number } | undefined
  private readonly walked: ZipEntry[] = []
  private readonly pending: { promise: Promise<void>; bytes: number; check: EntryCheck }[] = []
  private pendingBytes = 0
  private tail: Buffer[] = []
  private tailBytes = 0
  private tailStart = 0
  private spill: WriteStream | undefined
  private spillStart = 0

  private readonly spillFile: () => Promise<string>
  private readonly inflateInThread: boolean

  /**
   * `spillFile`: where to put the rest of the zip if an entry's end is only in the central directory.
   * `inflateInThread`: inflate small entries on this thread (a worker of its own; see EntryCheck).
   */
  constructor(spillFile: () => Promise<string>, options: { inflateInThread?: boolean } = {}) {
    this.spillFile = spillFile
    this.inflateInThread = options.inflateInThread ?? false
  }

  /** Feed the next plaintext bytes, in order. Rejects with ZipFormatError as soon as something is wrong. */
  async write(chunk: Buffer): Promise<void> {
    let data = chunk
    while (data.length > 0) {
      if (this.state === 'spill') {
        if (!(this.spill as WriteStream).write(data)) await once(this.spill as WriteStream, 'drain')
        return
      }
      if (this.state === 'tail') {
        this.tailBytes += data.length
        if (this.tailBytes > MAX_TAIL_BYTES)
          throw new ZipFormatError(
            `more than ${MAX_TAIL_BYTES >> 20} MiB after the last entry: not a bundle's central directory`,
          )
        this.tail.push(data)
        return
      }
      if (this.state === 'data') {
        const current = this.current as NonNullable<LocalWalker['current']>
        const take = Math.min(current.left, data.length)
        await current.check.write(data.subarray(0, take))
        current.left -= take
        this.offset += take
        data = data.subarray(take)
        if (current.left === 0) await this.entryDone()
        continue
      }
      data = await this.header(data)
    }
  }

  /** Parse the next local header from `carry` + `data`; returns the bytes left over. */
  private async header(data: Buffer): Promise<Buffer> {
    const bytes = this.carry.length ? Buffer.concat([this.carry, data]) : data
    this.carry = Buffer.alloc(0)
    if (bytes.length < 4) {
      this.carry = Buffer.from(bytes)
      return Buffer.alloc(0)
    }
    const signature = bytes.readUInt32LE(0)
    if (signature !== LOCAL_SIGNATURE) {
      if (this.offset === 0 && signature !== EOCD_SIGNATURE)
        throw new ZipFormatError('not a zip file: it does not start with a local file header')
      // Where ZipInputStream stops reading entries: the rest must be the central directory and end
      // record (crossCheck refuses anything in between).
      this.state = 'tail'
      this.tailStart = this.offset
      return bytes
    }
    if (bytes.length < LOCAL_HEADER_SIZE || bytes.length < localHeaderLength(bytes)) {
      this.carry = Buffer.from(bytes)
      return Buffer.alloc(0)
    }
    const header = parseLocalHeader(bytes, this.offset)
    if (header.flags & FLAG_DESCRIPTOR && header.method === DEFLATED) {
      await this.startSpill(bytes)
      return Buffer.alloc(0)
    }
    const entry = localEntry(header, this.offset)
    this.current = {
      entry,
      check: new EntryCheck(entry, { inflateInThread: this.inflateInThread }),
      left: entry.compressedSize,
    }
    this.walked.push(entry)
    this.offset += header.headerLength
    this.state = 'data'
    if (entry.compressedSize === 0) await this.entryDone()
    return bytes.subarray(header.headerLength)
  }

  private async entryDone(): Promise<void> {
    const { check, entry } = this.current as NonNullable<LocalWalker['current']>
    this.current = undefined
    this.state = 'header'
    const promise = check.finish()
    promise.catch(() => undefined)
    const bytes = entry.method === DEFLATED ? entry.compressedSize : 0
    this.pending.push({ promise, bytes, check })
    this.pendingBytes += bytes
    while (this.pending.length > MAX_PENDING || this.pendingBytes > MAX_PENDING_BYTES) await this.settleOldest()
  }

  private async settleOldest(): Promise<void> {
    const oldest = this.pending.shift() as (typeof this.pending)[number]
    this.pendingBytes -= oldest.bytes
    await oldest.promise
  }

  private async startSpill(bytes: Buffer): Promise<void> {
    this.state = 'spill'
    this.spillStart = this.offset
    // Decrypted bytes: readable by this user only.
    this.spill = createWriteStream(await this.spillFile(), { mode: 0o600 })
    if (!this.spill.write(bytes)) await once(this.spill, 'drain')
  }

  /** The last byte arrived: wait for every entry, read the central directory, cross-check. */
  async end(): Promise<WalkResult> {
    while (this.pending.length) await this.settleOldest()
    if (this.state === 'data') {
      const { entry, left } = this.current as NonNullable<LocalWalker['current']>
      throw new ZipFormatError(`the zip ends inside entry '${entry.name}' (${left} bytes missing)`)
    }
    if (this.state === 'spill') {
      const spill = this.spill as WriteStream
      spill.end()
      await once(spill, 'close')
      const listing = await listZipEntries(spill.path as string, this.spillStart)
      const rest = await checkLocalEntriesFrom(spill.path as string, this.spillStart, listing)
      crossCheck([...this.walked, ...rest.entries], rest.end, listing)
      return { listing }
    }
    if (this.state === 'header' && this.carry.length === 0 && this.offset === 0)
      throw new ZipFormatError('not a zip file: it is empty')
    if (this.state === 'header')
      throw new ZipFormatError(
        `not a zip file: no end-of-central-directory record (it ends at offset ${this.offset + this.carry.length})`,
      )
    const tail = Buffer.concat(this.tail)
    this.tail = []
    const end = parseEndRecord(tail, this.tailStart)
    if (end.centralOffset < this.tailStart) {
      throw new ZipFormatError(
        `the central directory starts at offset ${end.centralOffset}, inside the entries (they end at ${this.tailStart})`,
      )
    }
    const start = end.centralOffset - this.tailStart
    const listing = {
      entries: parseCentralDirectory(tail.subarray(start, start + end.centralSize), end.count),
      centralDirectoryOffset: end.centralOffset,
    }
    crossCheck(this.walked, this.tailStart, listing)
    return { listing }
  }

  /**
   * Whether any bytes given to `write` may still be read: the central directory's (kept until the
   * end), the spill file's (written asynchronously), an entry's that is being inflated. When it is
   * false, the caller may free what it passed in (walk-worker.ts does, so memory stays flat).
   */
  holdsInput(): boolean {
    if (this.state === 'tail' || this.state === 'spill') return true
    if (this.current?.check.holdsInput()) return true
    return this.pending.some((item) => item.check.holdsInput())
  }

  /** Give up (a failure elsewhere): stop inflating, close the spill file. */
  abort(): void {
    this.current?.check.abort()
    this.spill?.destroy()
  }
}

/**
 * The spill file's maker for a walk (see LocalWalker): `spill.zip` in `dir`, which is created on
 * first use readable by this user only (the spill holds decrypted bundle bytes; /tmp is shared).
 */
export function spillFileIn(dir: string): () => Promise<string> {
  return async () => {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    return path.join(dir, 'spill.zip')
  }
}
