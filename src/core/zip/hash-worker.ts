/**
 * The two SHA-256 of a bundle, on a thread of their own beside the main thread's AES-128-CBC: the
 * plaintext zip's (the signed checksum) and the ciphertext's (the object key's `{hash}`). On a
 * media-heavy bundle, where the deflate workers have little to do, hashing was half the main
 * thread's work and the bundle's critical path. Plaintext buffers go back to the main thread to be
 * filled again; ciphertext is freed once hashed. Imports carry `.ts`, as in deflate-worker.ts.
 */
import { createHash } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import { freeNow } from './free-now.ts'

export type HashRequest = { kind: 'plain' | 'cipher'; data: ArrayBuffer; length: number } | { kind: 'end' }
export type HashReply =
  | { kind: 'spare'; data: ArrayBuffer; length: number }
  | { kind: 'digests'; plain: string; cipher: string }

const port = parentPort as NonNullable<typeof parentPort>
const plain = createHash('sha256')
const cipher = createHash('sha256')

port.on('message', (request: HashRequest) => {
  if (request.kind === 'end') {
    port.postMessage({ kind: 'digests', plain: plain.digest('hex'), cipher: cipher.digest('hex') } satisfies HashReply)
    return
  }
  const bytes = new Uint8Array(request.data, 0, request.length)
  if (request.kind === 'plain') {
    plain.update(bytes)
    port.postMessage({ kind: 'spare', data: request.data, length: request.length } satisfies HashReply, [request.data])
  } else {
    cipher.update(bytes)
    freeNow(bytes)
  }
})
