/**
 * SHA-256 of the plaintext and of the ciphertext of a bundle as it is written, on another thread
 * (hash-worker.ts) for a bundle big enough to pay for one, on this thread otherwise. The writer
 * fills the buffers `buffer()` hands out with plaintext, passes each to `plain` once encrypted, and
 * each ciphertext to `cipher` once written; both are handed over (transferred), never touched again.
 */
import { createHash } from 'node:crypto'
import { Worker } from 'node:worker_threads'
import { freeNow, memoryToTransfer } from './free-now.js'
import type { HashReply, HashRequest } from './hash-worker.js'
import { workerModule } from './worker-module.js'

export interface StreamHasher {
  /** A buffer to fill with plaintext: one handed back by the hashing thread, or a new one. */
  buffer(): Promise<Buffer>
  /** The first `length` bytes of `buffer` are the next plaintext; the buffer is handed over. */
  plain(buffer: Buffer, length: number): void
  /** The next ciphertext, already written; handed over. */
  cipher(ciphertext: Buffer): void
  /** Both digests, lowercase hex, once everything was passed. */
  digests(): Promise<{ sha256: string; encryptedSha256: string }>
  /** Stop (also after `digests`): ends the thread. */
  close(): void
}

const BUFFER_BYTES = 1024 * 1024
/** Plaintext handed over and not yet hashed, at most: memory stays flat if the hashing thread lags. */
const MAX_IN_FLIGHT = 8

export function createStreamHasher(options: { thread: boolean }): StreamHasher {
  return options.thread ? new ThreadHasher() : new InlineHasher()
}

class InlineHasher implements StreamHasher {
  private readonly plainHash = createHash('sha256')
  private readonly cipherHash = createHash('sha256')
  private readonly reused = Buffer.allocUnsafe(BUFFER_BYTES)

  async buffer(): Promise<Buffer> {
    return this.reused
  }

  plain(buffer: Buffer, length: number): void {
    this.plainHash.update(buffer.subarray(0, length))
  }

  cipher(ciphertext: Buffer): void {
    this.cipherHash.update(ciphertext)
    freeNow(ciphertext)
  }

  async digests(): Promise<{ sha256: string; encryptedSha256: string }> {
    return { sha256: this.plainHash.digest('hex'), encryptedSha256: this.cipherHash.digest('hex') }
  }

  close(): void {}
}

class ThreadHasher implements StreamHasher {
  private readonly worker: Worker
  private readonly spares: ArrayBuffer[] = []
  private inFlight = 0
  private wake: (() => void) | undefined
  private readonly result: Promise<{ sha256: string; encryptedSha256: string }>

  constructor() {
    this.worker = new Worker(workerModule('hash-worker', import.meta.url).url, {
      resourceLimits: { maxYoungGenerationSizeMb: 2 },
    })
    this.worker.unref()
    this.result = new Promise((resolve, reject) => {
      this.worker.on('message', (reply: HashReply) => {
        if (reply.kind === 'spare') {
          this.inFlight--
          this.spares.push(reply.data)
          this.release()
        } else resolve({ sha256: reply.plain, encryptedSha256: reply.cipher })
      })
      this.worker.once('error', reject)
      this.worker.once('exit', (code) => reject(new Error(`the hashing thread exited (${code})`)))
    })
    this.result.catch(() => this.release())
  }

  async buffer(): Promise<Buffer> {
    while (this.spares.length === 0 && this.inFlight >= MAX_IN_FLIGHT) {
      // Also ends (rejecting) when the thread has died, even if it died before this wait began.
      await Promise.race([new Promise<void>((resolve) => (this.wake = resolve)), this.result])
    }
    const spare = this.spares.pop()
    return spare ? Buffer.from(spare) : Buffer.allocUnsafeSlow(BUFFER_BYTES)
  }

  plain(buffer: Buffer, length: number): void {
    const data = buffer.buffer as ArrayBuffer
    this.inFlight++
    this.worker.postMessage({ kind: 'plain', data, length } satisfies HashRequest, [data])
  }

  cipher(ciphertext: Buffer): void {
    const data = memoryToTransfer(ciphertext)
    this.worker.postMessage({ kind: 'cipher', data, length: ciphertext.length } satisfies HashRequest, [data])
  }

  async digests(): Promise<{ sha256: string; encryptedSha256: string }> {
    this.worker.postMessage({ kind: 'end' } satisfies HashRequest)
    return this.result
  }

  close(): void {
    void this.worker.terminate().catch(() => undefined)
  }

  private release(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
