/**
 * Frees a buffer's memory now rather than at some later garbage collection. Buffers are external
 * memory to V8: a thread that makes many of them (deflate output, ciphertext, inflated entries to
 * check) otherwise carries tens of MB of dead ones, or collects early and often under tight heap
 * limits, which cost the bundle ~7 % of its time. `ArrayBuffer.prototype.transfer(0)` detaches the
 * memory, which releases it at once (Node 21+; on Node 20 this does nothing).
 *
 * Released: memory the view spans alone (a network chunk, a cipher output), or memory larger than
 * Node's shared pool. Never a slice of the pool: small buffers are slices of one pool that other
 * buffers share, and no such slice spans all of it (pool allocations are under half its size).
 * The caller promises that nothing reads `buffer`, or any other view of its memory, afterwards.
 */
export function freeNow(buffer: Uint8Array): void {
  const memory = buffer.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer }
  if (typeof memory.transfer !== 'function') return
  const spansAll = buffer.byteOffset === 0 && buffer.byteLength === memory.byteLength
  if (!spansAll && memory.byteLength <= Buffer.poolSize) return
  if (typeof SharedArrayBuffer !== 'undefined' && (memory as unknown) instanceof SharedArrayBuffer) return
  memory.transfer(0)
}

/**
 * The memory to hand to another thread for `bytes`: its own when the view spans all of it (cipher
 * output does), transferred without a copy; otherwise (a slice, a pool buffer) a copy.
 */
export function memoryToTransfer(bytes: Uint8Array): ArrayBuffer {
  const owned =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
  return owned ? (bytes.buffer as ArrayBuffer) : new Uint8Array(bytes).buffer
}
