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

  ;(detachable ? it : it.skip)('releases small memory too when the view spans all of it (a network chunk)', () => {
    const chunk = Buffer.allocUnsafeSlow(1000).fill(1)
    const memory = chunk.buffer
    freeNow(chunk)
    expect(memory.byteLength).toBe(0)
  })

  it('leaves a slice of small memory alone: another view of it may still be read', () => {
    const whole = Buffer.allocUnsafeSlow(Buffer.poolSize).fill(1)
    freeNow(whole.subarray(10, 20))
    expect(whole.length).toBe(Buffer.poolSize)
    expect(whole[0]).toBe(1)
  })
})
