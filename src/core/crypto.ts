/**
 * Capgo "encryption v2" with the V3 signed checksum (docs/wire-format.md §3), as one streaming pass:
 * plaintext zip bytes in, AES-128-CBC ciphertext out, both sides hashed on the way through so a
 * bundle of any size is never held in memory.
 */
import { constants, createCipheriv, createHash, privateEncrypt, randomBytes } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import type { SigningKey } from './types.js'

export type RandomBytes = (size: number) => Buffer

export interface EncryptionResult {
  /** SHA-256 of the plaintext zip, lowercase hex. */
  sha256: string
  /** V3 signed checksum, 512 lowercase hex chars. */
  checksum: string
  /** base64(iv) + ':' + base64(wrapped AES key), 369 chars. */
  sessionKey: string
  zipSize: number
  encryptedSize: number
  /** SHA-256 of the ciphertext, lowercase hex. */
  encryptedSha256: string
}

export interface BundleEncryptor {
  /** Plaintext zip in, ciphertext out, both hashed on the way. */
  transform: Transform
  /**
   * The cipher alone, without a stream, for a caller that computes both SHA-256 itself (bundle.ts
   * hashes on another thread, beside this one's AES): `encrypt` takes the next plaintext bytes
   * (consumed before it returns, so their memory may be reused) and gives their ciphertext, `finish`
   * the last block (PKCS#7 padding), and `complete` takes the two digests and makes the result (the
   * signed checksum). Use either these or `transform`, not both.
   */
  encrypt(chunk: Uint8Array): Buffer
  finish(): Buffer
  complete(digests: { sha256: string; encryptedSha256: string }): EncryptionResult
  /** Valid once the transform has flushed (its 'end' was emitted) or `complete` was called; throws before. */
  result(): EncryptionResult
  /**
   * AES-128-CBC of one whole file with this bundle's own key and IV: what a delta (per-file)
   * manifest entry holds, since the plugin decrypts every entry with the bundle's session key.
   * The key and IV stay inside this closure; nothing else can read or log them.
   */
  sealFile(plain: Uint8Array): Buffer
}

const CIPHER = 'aes-128-cbc'
const AES_KEY_BYTES = 16
const IV_BYTES = 16

/**
 * RSA "private encrypt" with PKCS#1 v1.5 type-1 padding and no DigestInfo: what the plugin's
 * publicDecrypt undoes. Deterministic for a given input.
 */
function rsaPrivateEncrypt(signing: SigningKey, data: Buffer): Buffer {
  return privateEncrypt({ key: signing.privateKey, padding: constants.RSA_PKCS1_PADDING }, data)
}

/** V3 signed checksum of a plaintext sha256 (hex in, 512 lowercase hex chars out). */
export function signSha256(signing: SigningKey, sha256Hex: string): string {
  if (!/^[0-9a-f]{64}$/i.test(sha256Hex)) throw new Error('signSha256 expects a 64-character hex SHA-256')
  return rsaPrivateEncrypt(signing, Buffer.from(sha256Hex, 'hex')).toString('hex')
}

/** The plugin's `session_key`: base64(iv) + ':' + base64(RSA private-encrypt of the AES key). */
export function makeSessionKey(signing: SigningKey, aesKey: Buffer, iv: Buffer): string {
  if (aesKey.length !== AES_KEY_BYTES || iv.length !== IV_BYTES)
    throw new Error('AES-128-CBC needs a 16-byte key and a 16-byte IV')
  return `${iv.toString('base64')}:${rsaPrivateEncrypt(signing, aesKey).toString('base64')}`
}

/**
 * A fresh random AES key and IV per call: reusing them across bundles would let anyone compare
 * ciphertexts. The key is wrapped with the signing key; it only lives in memory.
 */
export function createBundleEncryptor(signing: SigningKey, random: RandomBytes = randomBytes): BundleEncryptor {
  const aesKey = random(AES_KEY_BYTES)
  const iv = random(IV_BYTES)
  const sessionKey = makeSessionKey(signing, aesKey, iv)
  const cipher = createCipheriv(CIPHER, aesKey, iv)
  const plainHash = createHash('sha256')
  const cipherHash = createHash('sha256')
  let zipSize = 0
  let encryptedSize = 0
  let result: EncryptionResult | undefined

  const encrypt = (chunk: Uint8Array): Buffer => {
    zipSize += chunk.length
    const ciphertext = cipher.update(chunk)
    encryptedSize += ciphertext.length
    return ciphertext
  }
  const finish = (): Buffer => {
    const ciphertext = cipher.final()
    encryptedSize += ciphertext.length
    return ciphertext
  }
  const complete = (digests: { sha256: string; encryptedSha256: string }): EncryptionResult => {
    result = {
      sha256: digests.sha256,
      checksum: signSha256(signing, digests.sha256),
      sessionKey,
      zipSize,
      encryptedSize,
      encryptedSha256: digests.encryptedSha256,
    }
    return result
  }
  const update = (chunk: Buffer): Buffer => {
    plainHash.update(chunk)
    const ciphertext = encrypt(chunk)
    cipherHash.update(ciphertext)
    return ciphertext
  }
  const final = (): Buffer => {
    const ciphertext = finish()
    cipherHash.update(ciphertext)
    complete({ sha256: plainHash.digest('hex'), encryptedSha256: cipherHash.digest('hex') })
    return ciphertext
  }
  const push = (stream: Transform, ciphertext: Buffer): void => {
    if (ciphertext.length > 0) stream.push(ciphertext)
  }

  const transform = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      push(this, update(chunk))
      callback()
    },
    flush(callback: TransformCallback) {
      push(this, final())
      callback()
    },
  })

  return {
    transform,
    encrypt,
    finish,
    complete,
    sealFile(plain) {
      const fileCipher = createCipheriv(CIPHER, aesKey, iv)
      return Buffer.concat([fileCipher.update(plain), fileCipher.final()])
    },
    result() {
      if (!result) throw new Error('bundle encryptor: result() called before the stream was flushed')
      return result
    },
  }
}
