/**
 * A deflate worker: prepares batches of small files (prepare.ts) off the main thread, so the
 * main thread only orders, encrypts, hashes and writes. Each batch's data comes back in one
 * transferred buffer: one message and no per-file copies across threads.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { FolderDeflateCache } from './cache.ts'
import { freeNow } from './free-now.ts'
import { FileReader, prepareFile, type PrepareTask } from './prepare.ts'

export interface WorkerTask extends PrepareTask {
  id: number
}

/** Everything of a PreparedFile except the data, which sits at [offset, offset + length) of the batch buffer. */
export interface WorkerResult {
  id: number
  crc: number
  sha256: string
  size: number
  deflated: boolean
  mentionsNotifyAppReady: boolean
  cached: boolean
  offset: number
  length: number
  error?: { message: string; code?: string; changed?: boolean }
}

export interface WorkerReply {
  results: WorkerResult[]
  data: ArrayBuffer
  cache?: { hits: number; misses: number; rejected: number }
}

export interface WorkerOptions {
  cacheDir?: string
}

/** A batch to prepare, a batch buffer handed back for reuse, or the end of the bundle. */
export type WorkerMessage = WorkerTask[] | { recycle: ArrayBuffer } | { flush: true }

/** The smallest batch buffer: what one batch of small files needs, so any spare fits the next. */
const MIN_BATCH_BUFFER = 1024 * 1024
/** Spare buffers kept for reuse; more than the batches in flight never get used. */
const MAX_SPARES = 4
const spares: ArrayBuffer[] = []

/**
 * A buffer for `bytes` of batch data: a spare handed back by the main thread when one is big
 * enough, else a new one. allocUnsafeSlow: its own (unpooled, so transferable) memory, not
 * zero-filled, so pages never written never count towards the RSS of either thread.
 */
function batchBuffer(bytes: number): ArrayBuffer {
  const index = spares.findIndex((spare) => spare.byteLength >= bytes)
  if (index >= 0) return spares.splice(index, 1)[0]
  return Buffer.allocUnsafeSlow(Math.max(bytes, MIN_BATCH_BUFFER)).buffer as ArrayBuffer
}

const options = (workerData ?? {}) as WorkerOptions
const reader = new FileReader()
const cache = options.cacheDir ? new FolderDeflateCache(options.cacheDir) : undefined
// After the first turn of the event loop: a batch already waiting goes first (its lookup loads the index).
if (cache) setImmediate(() => cache.preload())

let reported = { hits: 0, misses: 0, rejected: 0 }

function runBatch(tasks: WorkerTask[]): WorkerReply {
  // Data is never larger than the file (deflated data is kept only when smaller), so the sizes
  // bound the batch buffer: each result is copied once, straight into it.
  const data = batchBuffer(tasks.reduce((sum, task) => sum + task.size, 0))
  const view = Buffer.from(data)
  const results: WorkerResult[] = []
  let offset = 0
  for (const task of tasks) {
    try {
      const { data: bytes, ...prepared } = prepareFile(task, reader, cache, 'copied')
      const length = bytes.copy(view, offset)
      results.push({ ...prepared, id: task.id, offset, length })
      offset += length
      // Fresh deflate output, copied (here and by the cache): freed now, it reads as empty afterwards.
      // Never the file's own bytes (the reader's reused buffer) or a cache hit (the cache's buffer).
      if (prepared.deflated && !prepared.cached) freeNow(bytes)
    } catch (error) {
      const failure = error as NodeJS.ErrnoException
      results.push({
        id: task.id,
        crc: 0,
        sha256: '',
        size: 0,
        deflated: false,
        mentionsNotifyAppReady: false,
        cached: false,
        offset: 0,
        length: 0,
        error: {
          message: String(failure?.message ?? failure),
          code: failure?.code,
          changed: failure?.name === 'FileChangedError',
        },
      })
    }
  }
  let counts
  if (cache) {
    const now = cache.counts
    counts = {
      hits: now.hits - reported.hits,
      misses: now.misses - reported.misses,
      rejected: now.rejected - reported.rejected,
    }
    reported = { ...now }
  }
  return { results, data, cache: counts }
}

parentPort!.on('message', (message: WorkerMessage) => {
  if ('recycle' in message) {
    if (spares.length < MAX_SPARES) spares.push(message.recycle)
    return
  }
  if (!Array.isArray(message)) {
    // The bundle is done: new cache entries still buffered are written before the pool ends.
    cache?.flush()
    parentPort!.postMessage({ flushed: true })
    return
  }
  const reply = runBatch(message)
  parentPort!.postMessage(reply, [reply.data])
})
