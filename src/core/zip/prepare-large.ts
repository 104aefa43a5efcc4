/**
 * Files too big to hold (over SMALL_FILE_LIMIT), prepared on the main thread by streaming: the
 * same fields as prepare.ts gives (CRC-32, SHA-256, notifyAppReady, deflate if smaller).
 */
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import { MAX_FILE_SIZE } from './format.js'
import { FileChangedError, NOTIFY_APP_READY, type PreparedFile, type PrepareTask } from './prepare.js'

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

/** A large file prepared by streaming: its data is the file itself or a spill file of deflated bytes. */
export interface PreparedLargeFile extends Omit<PreparedFile, 'data'> {
  data: { file: string; spill: boolean }
  compressedSize: number
}

/**
 * Large files never sit in memory: one streaming pass computes CRC and SHA-256 (and deflates
 * into a spill file when worth it), because the local header must hold CRC and sizes before
 * the data. The writer reads the file again and checks that CRC.
 */
export async function prepareLargeFile(task: PrepareTask, spill: string): Promise<PreparedLargeFile> {
  let crc = 0
  let size = 0
  const hash = createHash('sha256')
  const needle = new NeedleSearch()
  const observe = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      crc = zlib.crc32(chunk, crc)
      hash.update(chunk)
      size += chunk.length
      if (size > MAX_FILE_SIZE) return callback(new FileChangedError(task.file))
      if (task.scanScript) needle.push(chunk)
      callback(null, chunk)
    },
  })
  const source = createReadStream(task.file, { highWaterMark: 1 << 20 })
  const done = (deflated: boolean, compressedSize: number) => {
    if (size !== task.size) throw new FileChangedError(task.file)
    const data = deflated ? { file: spill, spill: true } : { file: task.file, spill: false }
    return {
      crc,
      sha256: hash.digest('hex'),
      size,
      deflated,
      data,
      compressedSize,
      mentionsNotifyAppReady: needle.found,
      cached: false,
    }
  }
  if (!task.deflate) {
    await pipeline(source, observe, new Writable({ write: (_chunk, _encoding, callback) => callback() }))
    return done(false, size)
  }
  await pipeline(source, observe, zlib.createDeflateRaw({ level: task.level }), createWriteStream(spill))
  const compressedSize = (await stat(spill)).size
  return compressedSize < size ? done(true, compressedSize) : done(false, size)
}
