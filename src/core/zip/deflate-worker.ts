/**
 * A deflate worker: prepares batches of small files (prepare.ts) off the main thread, so the
 * main thread only orders, encrypts, hashes and writes. Each batch's data comes back in one
 * transferred buffer: one message and no per-file copies across threads.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { FolderDeflateCache } from './cache.ts'
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

const options = (workerData ?? {}) as WorkerOptions
const reader = new FileReader()
const cache = options.cacheDir ? new FolderDeflateCache(options.cacheDir) : undefined

let reported = { hits: 0, misses: 0, rejected: 0 }

function runBatch(tasks: WorkerTask[]): WorkerReply {
  // Data is never larger than the file (deflated data is kept only when smaller), so the sizes
  // bound the batch buffer: each result is copied once, straight into it.
  // allocUnsafeSlow: its own (unpooled, so transferable) memory, not zero-filled, so the pages
  // past the data written are never touched and never count towards the RSS of either thread.
  const view = Buffer.allocUnsafeSlow(tasks.reduce((sum, task) => sum + task.size, 0))
  const data = view.buffer as ArrayBuffer
  const results: WorkerResult[] = []
  let offset = 0
  for (const task of tasks) {
    try {
      const { data: bytes, ...prepared } = prepareFile(task, reader, cache)
      bytes.copy(view, offset)
      results.push({ ...prepared, id: task.id, offset, length: bytes.length })
      offset += bytes.length
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

parentPort!.on('message', (message: WorkerTask[] | { flush: true }) => {
  if (!Array.isArray(message)) {
    // The bundle is done: new cache entries still buffered are written before the pool ends.
    cache?.flush()
    parentPort!.postMessage({ flushed: true })
    return
  }
  const reply = runBatch(message)
  parentPort!.postMessage(reply, [reply.data])
})
