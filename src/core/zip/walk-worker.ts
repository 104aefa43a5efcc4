/**
 * The zip walk (stream-reader.ts) and the layout rules, in a worker thread: the main thread only
 * decrypts and hashes, and hands each plaintext chunk over (transferred, not copied). CRC-32,
 * inflation and the garbage of inflated buffers live here, in a small young generation that frees
 * them sooner; the main thread's allocations stay those of a plain download.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { checkBundleEntryNames } from '../device-layout.ts'
import { ZipFormatError } from './entry-check.ts'
import { freeNow } from './free-now.ts'
import { LocalWalker, spillFileIn } from './stream-reader.ts'

export type WalkRequest = { type: 'chunks'; data: ArrayBuffer[] } | { type: 'end' }
export type WalkReply =
  | { type: 'ack'; bytes: number }
  | { type: 'done'; entries: number }
  | { type: 'failed'; message: string; zip: boolean }

const port = parentPort as NonNullable<typeof parentPort>
const { spillDir } = workerData as { spillDir: string }
const walker = new LocalWalker(spillFileIn(spillDir), { inflateInThread: true })
let failed = false
let queue = Promise.resolve()

function fail(error: unknown): void {
  failed = true
  walker.abort()
  port.postMessage({
    type: 'failed',
    message: error instanceof Error ? error.message : String(error),
    zip: error instanceof ZipFormatError,
  } satisfies WalkReply)
}

port.on('message', (request: WalkRequest) => {
  // One chunk at a time, in order: the walk is a state machine over the byte stream.
  queue = queue.then(async () => {
    if (request.type === 'chunks') {
      let bytes = 0
      for (const data of request.data) {
        if (!failed) await walker.write(Buffer.from(data)).catch(fail)
        bytes += data.byteLength
        // Freed now unless the walk may still read it (most chunks: the middle of stored files,
        // whole small entries); the rest waits for the GC. Keeps the worker's memory flat.
        if (!failed && !walker.holdsInput()) freeNow(new Uint8Array(data))
      }
      port.postMessage({ type: 'ack', bytes } satisfies WalkReply)
      return
    }
    if (failed) return
    try {
      const { listing } = await walker.end()
      checkBundleEntryNames(listing.entries)
      port.postMessage({ type: 'done', entries: listing.entries.length } satisfies WalkReply)
    } catch (error) {
      fail(error)
    }
  })
})
