/**
 * Checks one entry's data as ZipInputStream reads it: inflates (if deflated), compares CRC-32 and
 * size with the headers, and requires the deflate stream to end exactly at the entry's compressed
 * size (Java: "invalid entry compressed size"; zlib alone stops at the end of the stream and
 * ignores what follows). Small entries are inflated in one call (a stream per small file costs more
 * than the work): synchronously in the walk worker, in libuv's pool when the walk shares the thread
 * that decrypts and hashes. Large entries stream through libuv's pool.
 */
import {
  crc32,
  createInflateRaw,
  type Inflate,
  inflateRaw as zlibInflateRaw,
  inflateRawSync as zlibInflateRawSync,
  type ZlibOptions,
} from 'node:zlib'

import { freeNow } from './free-now.ts'

export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ZipFormatError'
  }
}

export function hex32(value: number): string {
  return value.toString(16).padStart(8, '0')
}

interface CheckedEntry {
  name: string
  method: number
  crc32: number
  compressedSize: number
  size: number
}

type InflateRawAsync = (
  buffer: Buffer,
  options: ZlibOptions & { info: true },
  callback: (error: Error | null, result: { buffer: Buffer; engine: { bytesWritten: number } }) => void,
) => void
/** `info: true` hands back the engine, whose bytesWritten is the input the stream consumed. */
const inflateRaw = zlibInflateRaw as unknown as InflateRawAsync
const inflateRawSync = zlibInflateRawSync as unknown as (
  buffer: Buffer,
  options: ZlibOptions & { info: true },
) => { buffer: Buffer; engine: { bytesWritten: number } }

/** Entries up to this size (compressed and declared) are inflated in one call; bigger ones stream. */
export const ONE_SHOT_LIMIT = 4 * 1024 * 1024
/** Output chunk of the streaming inflater: bigger than zlib's 16 KiB default, fewer round trips. */
const STREAM_CHUNK = 256 * 1024

export class EntryCheck {
  private crc = 0
  private produced = 0
  private readonly chunks: Buffer[] = []
  private inflaterSettled = false
  private readonly inflater: Inflate | undefined
  private failure: Error | undefined
  private readonly done: Promise<void> | undefined
  private readonly entry: CheckedEntry
  private readonly inflateInThread: boolean

  /**
   * `inflateInThread`: small entries are inflated on this thread, synchronously. Right for a thread
   * of its own (the walk worker): measured on 1,700 web files, half the CPU time of handing each
   * to libuv's pool and back. The main thread keeps the pool, so it stays free to decrypt.
   */
  constructor(entry: CheckedEntry, options: { inflateInThread?: boolean } = {}) {
    this.entry = entry
    this.inflateInThread = options.inflateInThread ?? false
    if (entry.method === 8 && (entry.compressedSize > ONE_SHOT_LIMIT || entry.size > ONE_SHOT_LIMIT)) {
      const inflater = createInflateRaw({ chunkSize: STREAM_CHUNK })
      this.inflater = inflater
      inflater.on('data', (chunk: Buffer) => this.output(chunk))
      this.done = new Promise<void>((resolve, reject) => {
        inflater.once('end', resolve)
        inflater.once('error', (error) => reject(this.failure ?? this.unreadable(error)))
      })
      this.done.then(
        () => (this.inflaterSettled = true),
        () => (this.inflaterSettled = true),
      )
      this.done.catch(() => undefined)
    }
  }

  /** Feed the next compressed bytes; resolves when the entry can take more. */
  async write(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure
    if (this.entry.method === 0) {
      this.output(chunk)
      if (this.failure) throw this.failure
    } else if (this.inflater) {
      if (!this.inflater.write(chunk))
        await new Promise<void>((resolve) => {
          const inflater = this.inflater as Inflate
          const settle = (): void => {
            inflater.off('drain', settle)
            inflater.off('close', settle)
            resolve()
          }
          inflater.on('drain', settle)
          inflater.on('close', settle)
        })
    } else {
      // Copied: the compressed bytes are a small share of the chunk they came in, which can then
      // be freed at once (walk-worker.ts) instead of being held until this entry ends.
      this.chunks.push(Buffer.from(chunk))
    }
  }

  /** All compressed bytes were given: resolves once the entry checks out, rejects with ZipFormatError. */
  async finish(): Promise<void> {
    if (this.entry.method === 8 && this.inflater) {
      this.inflater.end()
      await this.done
      this.checkConsumed(this.inflater.bytesWritten)
    } else if (this.entry.method === 8) {
      const raw = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks)
      this.chunks.length = 0
      // One byte of headroom so "more than declared" is detected rather than silently cut; an output
      // buffer of that size means one piece per entry (16 KiB chunks cost a main-thread round trip each).
      const limit = this.entry.size + 1
      // In the walk worker the output is freed right after its CRC, so it is made larger than Node's
      // shared pool (memory of its own: free-now.ts); a pool slice would wait for a full GC.
      const chunkSize = this.inflateInThread ? Math.max(limit, Buffer.poolSize + 1) : Math.max(64, limit)
      const options = { info: true as const, maxOutputLength: limit, chunkSize }
      const failure = (error: Error): ZipFormatError =>
        (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? this.tooBig() : this.unreadable(error)
      let result: { buffer: Buffer; engine: { bytesWritten: number } }
      if (this.inflateInThread) {
        try {
          result = inflateRawSync(raw, options)
        } catch (error) {
          throw failure(error as Error)
        }
      } else {
        result = await new Promise((resolve, reject) => {
          inflateRaw(raw, options, (error, value) => (error ? reject(failure(error)) : resolve(value)))
        })
      }
      this.output(result.buffer)
      // Checked: the inflated bytes are not needed any more.
      if (this.inflateInThread) freeNow(result.buffer)
      this.checkConsumed(result.engine.bytesWritten)
    }
    if (this.failure) throw this.failure
    const { name, size, crc32: declared } = this.entry
    if (this.produced !== size)
      throw new ZipFormatError(`entry '${name}' holds ${this.produced} bytes, but its headers say ${size}`)
    if (this.crc >>> 0 !== declared)
      throw new ZipFormatError(
        `entry '${name}' fails its CRC-32 check (computed ${hex32(this.crc >>> 0)}, headers say ${hex32(declared)})`,
      )
  }

  /**
   * Whether this check may still read bytes it was given: only a streaming inflater, until it has
   * ended. A stored entry's bytes are used at once; a small deflated entry's are copied.
   */
  holdsInput(): boolean {
    return this.inflater !== undefined && !this.inflaterSettled
  }

  /** Stop early: nothing more will be written (the zip failed elsewhere). */
  abort(): void {
    this.inflater?.destroy()
    this.chunks.length = 0
  }

  private output(chunk: Buffer): void {
    this.crc = crc32(chunk, this.crc)
    this.produced += chunk.length
    // Stop early instead of inflating a zip bomb to the end.
    if (this.produced > this.entry.size && !this.failure) {
      this.failure = this.tooBig()
      this.inflater?.destroy(this.failure)
    }
  }

  private checkConsumed(consumed: number): void {
    if (consumed !== this.entry.compressedSize) {
      throw new ZipFormatError(
        `entry '${this.entry.name}' has ${this.entry.compressedSize - consumed} bytes after the end of its deflate stream (${consumed} of ${this.entry.compressedSize}); Android's ZipInputStream refuses it ("invalid entry compressed size")`,
      )
    }
  }

  private tooBig(): ZipFormatError {
    return new ZipFormatError(`entry '${this.entry.name}' inflates to more than its declared ${this.entry.size} bytes`)
  }

  private unreadable(error: Error): ZipFormatError {
    return new ZipFormatError(`entry '${this.entry.name}' cannot be inflated: ${error.message}`)
  }
}
