import { describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { createStreamHasher } from '../../src/core/zip/stream-hasher.js'

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')

describe.each([true, false])('stream hasher (own thread: %s)', (thread) => {
  it('hashes the plaintext and the ciphertext in order, over many reused buffers', async () => {
    const hasher = createStreamHasher({ thread })
    const plain: Buffer[] = []
    const cipher: Buffer[] = []
    try {
      // More buffers than may be in flight: spares must come back and be refilled.
      for (let i = 0; i < 40; i++) {
        const buffer = await hasher.buffer()
        const length = 1 + ((i * 7919) % buffer.length)
        randomBytes(length).copy(buffer)
        plain.push(Buffer.from(buffer.subarray(0, length)))
        hasher.plain(buffer, length)
        // Ciphertext of all kinds: owning its memory (transferred) or a view of a pool (copied).
        const text = i % 2 ? randomBytes(100_000) : Buffer.from(`pool slice ${i}`)
        cipher.push(Buffer.from(text))
        hasher.cipher(text)
      }
      await expect(hasher.digests()).resolves.toEqual({
        sha256: sha(Buffer.concat(plain)),
        encryptedSha256: sha(Buffer.concat(cipher)),
      })
    } finally {
      hasher.close()
    }
  })
})
