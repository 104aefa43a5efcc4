import { Worker } from 'node:worker_threads'
import type { CacheCounts } from './cache.js'
import type { WorkerOptions, WorkerReply, WorkerTask } from './deflate-worker.js'
import { FileChangedError, type PreparedFile, type PrepareTask } from './prepare.js'
import type { WorkerMessage } from './deflate-worker.js'
import { workerModule } from './worker-module.js'

/**
 * A prepared file from a worker. Its data is a view of the batch buffer the worker filled; call
 * `release` once the data has been used (encrypted or copied), and the buffer goes back to the
 * worker for a later batch once every file of the batch released it. Touching the data after
 * `release` reads a detached (empty) buffer; a file never released just leaves its buffer to the GC.
 */
export interface PooledFile extends PreparedFile {
  release(): void
}

interface Job {
  task: PrepareTask
  resolve(result: PooledFile): void
  reject(error: Error): void
}

/**
 * Batches queued at one worker: while it works on one, the next is already there, so it never
 * waits for the main thread (busy encrypting and writing) to hand it more.
 */
const BATCHES_IN_FLIGHT = 2
/** Files sent to one worker in one message, at most. */
const BATCH_FILES = 32
/** ...and about this many bytes (so one batch does not hold up the ordered writer). */
const BATCH_BYTES = 1024 * 1024

function workerError(error: NonNullable<WorkerReply['results'][number]['error']>, task: PrepareTask): Error {
  if (error.changed) return new FileChangedError(task.file)
  return Object.assign(new Error(error.message), { code: error.code })
}

/** A fixed set of deflate workers fed from one queue; results come back per file, in any order. */
export class DeflatePool {
  private readonly workers: Worker[] = []
  /** Batches each worker holds. */
  private readonly inFlight = new Map<Worker, number>()
  private readonly queue: Job[] = []
  private readonly running = new Map<number, { worker: Worker; job: Job }>()
  private readonly options: WorkerOptions
  private readonly flushed = new Map<Worker, () => void>()
  private nextId = 0
  private closed = false
  private dispatchQueued = false
  readonly cacheCounts: CacheCounts = { hits: 0, misses: 0, rejected: 0 }

  constructor(size: number, options: WorkerOptions = {}) {
    this.options = options
    for (let i = 0; i < size; i++) this.add(this.spawn())
  }

  private add(worker: Worker): void {
    this.workers.push(worker)
    this.inFlight.set(worker, 0)
  }

  private spawn(): Worker {
    // Heap limits trade memory for GC time. The workers' garbage used to be external memory
    // (deflate output, 16 KiB zlib chunks carved from Node's shared pool) that only a full
    // collection frees, and a 16 MB old generation that kept it down cost ~7 % of the bundle. Now
    // the output is freed as soon as it is copied (free-now.ts); what remains (a zlib stream object
    // and a hash object per file) is small, and a 24 MB cap costs ~1 %. Measured on Node 24, medians
    // of 5: 100 MiB app 146 -> 143 MB, 200 MiB 176 -> 162 MB (growth 1.21x -> 1.13x), 1.41 -> 1.42 s.
    // Not with a cache: its index (every entry of every pack, a few bundles' worth) lives in each
    // worker's heap and would not fit a small cap on a big app.
    const worker = new Worker(workerModule('deflate-worker', import.meta.url).url, {
      workerData: this.options,
      resourceLimits: this.options.cacheDir
        ? { maxYoungGenerationSizeMb: 4 }
        : { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 24 },
    })
    worker.unref()
    worker.on('message', (reply: WorkerReply | { flushed: true }) => {
      if ('flushed' in reply) this.flushed.get(worker)?.()
      else this.receive(worker, reply)
    })
    worker.on('error', (error) => this.failWorker(worker, error))
    return worker
  }

  private receive(worker: Worker, reply: WorkerReply): void {
    if (reply.cache) {
      this.cacheCounts.hits += reply.cache.hits
      this.cacheCounts.misses += reply.cache.misses
      this.cacheCounts.rejected += reply.cache.rejected
    }
    // Recycling the buffer without allocating a new one per batch: the main thread and the
    // workers then leave no dead batch buffers (external memory) waiting for their GC.
    let holders = reply.results.filter((result) => !result.error && this.running.has(result.id)).length
    const release = () => {
      if (--holders === 0) this.recycle(worker, reply.data)
    }
    for (const result of reply.results) {
      const running = this.running.get(result.id)
      if (!running) continue
      this.running.delete(result.id)
      const { job } = running
      if (result.error) {
        job.reject(workerError(result.error, job.task))
        continue
      }
      const { id: _id, offset, length, error: _error, ...fields } = result
      let released = false
      job.resolve({
        ...fields,
        data: Buffer.from(reply.data, offset, length),
        release: () => {
          if (released) return
          released = true
          release()
        },
      })
    }
    this.inFlight.set(worker, Math.max(0, this.inFlight.get(worker)! - 1))
    this.dispatch()
  }

  private recycle(worker: Worker, buffer: ArrayBuffer): void {
    if (this.closed || !this.inFlight.has(worker)) return
    worker.postMessage({ recycle: buffer } satisfies WorkerMessage, [buffer])
  }

  private failWorker(worker: Worker, error: Error): void {
    for (const [id, running] of this.running) {
      if (running.worker !== worker) continue
      this.running.delete(id)
      running.job.reject(error)
    }
    this.workers.splice(this.workers.indexOf(worker), 1)
    this.inFlight.delete(worker)
    if (!this.closed) this.add(this.spawn())
    this.dispatch()
  }

  /** Deferred to a microtask, so the tasks a caller queues in one go share batches. */
  private scheduleDispatch(): void {
    if (this.dispatchQueued) return
    this.dispatchQueued = true
    queueMicrotask(() => {
      this.dispatchQueued = false
      this.dispatch()
    })
  }

  /** The worker holding the fewest batches, if it has room for another. */
  private leastBusy(): Worker | undefined {
    let best: Worker | undefined
    for (const worker of this.workers)
      if (best === undefined || this.inFlight.get(worker)! < this.inFlight.get(best)!) best = worker
    return best !== undefined && this.inFlight.get(best)! < BATCHES_IN_FLIGHT ? best : undefined
  }

  private dispatch(): void {
    for (let worker = this.leastBusy(); !this.closed && worker && this.queue.length > 0; worker = this.leastBusy()) {
      // Share what is queued among the free slots, within the batch limits.
      const slots = this.workers.reduce((sum, each) => sum + BATCHES_IN_FLIGHT - this.inFlight.get(each)!, 0)
      const share = Math.min(BATCH_FILES, Math.ceil(this.queue.length / slots))
      const batch: WorkerTask[] = []
      let bytes = 0
      while (
        this.queue.length > 0 &&
        batch.length < share &&
        (batch.length === 0 || bytes + this.queue[0].task.size <= BATCH_BYTES)
      ) {
        const job = this.queue.shift()!
        const id = this.nextId++
        this.running.set(id, { worker, job })
        batch.push({ ...job.task, id })
        bytes += job.task.size
      }
      this.inFlight.set(worker, this.inFlight.get(worker)! + 1)
      worker.postMessage(batch satisfies WorkerMessage)
    }
  }

  run(task: PrepareTask): Promise<PooledFile> {
    if (this.closed) return Promise.reject(new Error('deflate pool is closed'))
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject })
      this.scheduleDispatch()
    })
  }

  /**
   * Ends the workers without waiting for them: a worker still starting up takes up to ~150 ms to
   * stop, which a small bundle would otherwise spend idle. They are unref'd and hold nothing.
   */
  async close(): Promise<void> {
    this.closed = true
    for (const job of this.queue.splice(0)) job.reject(new Error('deflate pool closed'))
    const workers = this.workers.splice(0)
    if (this.options.cacheDir) {
      // Each worker writes the cache entries it still buffers (bounded wait: the cache is optional).
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              const done = () => {
                clearTimeout(timer)
                resolve()
              }
              const timer = setTimeout(done, 10_000)
              this.flushed.set(worker, done)
              worker.once('exit', done)
              worker.postMessage({ flush: true } satisfies WorkerMessage)
            }),
        ),
      )
    }
    for (const worker of workers) void worker.terminate().catch(() => undefined)
  }
}
