import { describe, expect, it } from '@jest/globals'
import { freeNow } from '../../src/core/zip/free-now.js'

const detachable = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function'

describe('freeNow', () => {
  ;(detachable ? it : it.skip)('releases memory a buffer owns alone: the buffer is detached (empty) afterwards', () => {
    const owned = Buffer.allocUnsafe(4 * Buffer.poolSize).fill(7)
    const memory = owned.buffer
    freeNow(owned)
    expect(memory.byteLength).toBe(0)
    expect(owned.length).toBe(0)
  })

  it("never touches Node's shared pool: the other buffers that live there keep their bytes", () => {
    const neighbours = Array.from({ length: 8 }, (_, i) => Buffer.from(`neighbour ${i}`))
    const pooled = Buffer.from('a small buffer from the pool')
    expect(pooled.buffer).toBe(neighbours[0].buffer) // one pool
    freeNow(pooled)
    expect(pooled.toString()).toBe('a small buffer from the pool')
    expect(neighbours.map(String)).toEqual(neighbours.map((_, i) => `neighbour ${i}`))
  })

  it('leaves memory no larger than the pool alone, even when owned', () => {
    const small = Buffer.allocUnsafeSlow(Buffer.poolSize).fill(1)
    freeNow(small)
    expect(small.length).toBe(Buffer.poolSize)
  })
})
