import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createBundleEncryptor, makeSessionKey, signSha256, type RandomBytes } from '../src/core/crypto.js'
import { createKeyPair, loadPrivateKey } from '../src/core/keys.js'
import type { SigningKey } from '../src/core/types.js'
import { capgoDecrypt, makeCapgoProject } from './support/capgo-cli.js'
import { zipWithInfoZip } from './support/crafted-zip.js'
import { removeDir, tempDir } from './support/folders.js'
import { opensslAesDecrypt, opensslVerifyRecover } from './support/openssl.js'

let work: string
let signing: SigningKey
let publicKeyFile: string

beforeAll(async () => {
  work = await tempDir('live-update-crypto-')
  const pair = createKeyPair()
  signing = loadPrivateKey(pair.privateKeyPem)
  publicKeyFile = path.join(work, 'key.pub')
  await writeFile(publicKeyFile, pair.publicKeyPem)
})

afterAll(async () => {
  await removeDir(work)
})

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

/** Feed `plaintext` through the encryptor in uneven chunks; collect the ciphertext. */
async function encrypt(plaintext: Buffer, random?: RandomBytes, chunk = 7919) {
  const encryptor = createBundleEncryptor(signing, random)
  const pieces: Buffer[] = []
  for (let i = 0; i < plaintext.length; i += chunk) pieces.push(plaintext.subarray(i, i + chunk))
  const out: Buffer[] = []
  await pipeline(Readable.from(pieces), encryptor.transform, async function* (source) {
    for await (const data of source) out.push(data as Buffer)
  })
  return { ciphertext: Buffer.concat(out), result: encryptor.result() }
}

/** A RandomBytes that records what it handed out. */
function recordingRandom(): { random: RandomBytes; given: Buffer[] } {
  const given: Buffer[] = []
  return {
    given,
    random: (size) => {
      const bytes = randomBytes(size)
      given.push(bytes)
      return bytes
    },
  }
}

describe('createBundleEncryptor', () => {
  it.each([0, 1, 15, 16, 17, 100_003])(
    'encrypts %i bytes so OpenSSL recovers the key and decrypts the exact plaintext',
    async (size) => {
      const plaintext = randomBytes(size)
      const { random, given } = recordingRandom()
      const { ciphertext, result } = await encrypt(plaintext, random)
      const [aesKey, iv] = given

      expect(result.zipSize).toBe(size)
      expect(result.encryptedSize).toBe(16 * Math.floor(size / 16) + 16)
      expect(ciphertext.length).toBe(result.encryptedSize)
      expect(result.sha256).toBe(sha256(plaintext))
      expect(result.encryptedSha256).toBe(sha256(ciphertext))

      // ivSessionKey: base64(iv) ':' base64(wrapped key), 24 + 1 + 344 characters.
      expect(result.sessionKey).toHaveLength(369)
      const [ivPart, wrappedPart] = result.sessionKey.split(':')
      expect(Buffer.from(ivPart, 'base64')).toEqual(iv)
      const recoveredKey = await opensslVerifyRecover(work, publicKeyFile, Buffer.from(wrappedPart, 'base64'))
      expect(recoveredKey).toEqual(aesKey)

      const encryptedFile = path.join(work, `cipher-${size}.bin`)
      await writeFile(encryptedFile, ciphertext)
      expect(await opensslAesDecrypt(encryptedFile, recoveredKey, Buffer.from(ivPart, 'base64'))).toEqual(plaintext)

      // V3 checksum: lowercase hex of the RSA private-encrypted 32 raw sha256 bytes.
      expect(result.checksum).toMatch(/^[0-9a-f]{512}$/)
      const recoveredSha = await opensslVerifyRecover(work, publicKeyFile, Buffer.from(result.checksum, 'hex'))
      expect(recoveredSha.toString('hex')).toBe(sha256(plaintext))
    },
  )

  it('uses a fresh random key and IV on every call', async () => {
    const plaintext = Buffer.from('same input twice')
    const first = await encrypt(plaintext)
    const second = await encrypt(plaintext)
    expect(first.result.sessionKey.split(':')[0]).not.toBe(second.result.sessionKey.split(':')[0])
    expect(first.result.sessionKey.split(':')[1]).not.toBe(second.result.sessionKey.split(':')[1])
    expect(first.ciphertext.equals(second.ciphertext)).toBe(false)
    // The signed checksum depends only on the plaintext (PKCS#1 type-1 padding is deterministic).
    expect(first.result.checksum).toBe(second.result.checksum)
  })

  it('is deterministic for injected randomness, and matches makeSessionKey / signSha256', async () => {
    const fixed: RandomBytes = (size) => Buffer.alloc(size, 0x42)
    const a = await encrypt(Buffer.from('hello bundle'), fixed)
    const b = await encrypt(Buffer.from('hello bundle'), fixed, 3)
    expect(a.ciphertext).toEqual(b.ciphertext)
    expect(a.result).toEqual(b.result)
    expect(a.result.sessionKey).toBe(makeSessionKey(signing, Buffer.alloc(16, 0x42), Buffer.alloc(16, 0x42)))
    expect(a.result.checksum).toBe(signSha256(signing, a.result.sha256))
  })

  it('streams: ciphertext comes out before the input ends, and result() waits for the flush', async () => {
    const encryptor = createBundleEncryptor(signing)
    const firstOutput = new Promise<Buffer>((resolve) => encryptor.transform.once('data', resolve))
    encryptor.transform.write(randomBytes(1024 * 1024))
    const early = await firstOutput
    expect(early.length).toBeGreaterThan(1000 * 1024)
    expect(() => encryptor.result()).toThrow(/before the stream was flushed/)
    const done = new Promise((resolve) => encryptor.transform.on('end', resolve))
    encryptor.transform.resume()
    encryptor.transform.end()
    await done
    expect(encryptor.result().zipSize).toBe(1024 * 1024)
  })

  it('refuses malformed inputs to the helpers', () => {
    expect(() => signSha256(signing, 'abc')).toThrow(/64-character hex/)
    expect(() => makeSessionKey(signing, Buffer.alloc(32), Buffer.alloc(16))).toThrow(/16-byte/)
  })
})

describe('Capgo CLI interop', () => {
  it('`capgo bundle decrypt` accepts a bundle we encrypted with a createKeyPair key: "Checksum matches"', async () => {
    const project = await makeCapgoProject(path.join(work, 'capgo-project'))
    const zipFile = await zipWithInfoZip(path.join(work, 'web'), path.join(work, 'app.zip'), {
      'index.html': '<!doctype html><title>interop</title>\n',
      'app.js': 'CapacitorUpdater.notifyAppReady()\n',
    })
    const plaintext = await readFile(zipFile)
    const { ciphertext, result } = await encrypt(plaintext)
    const encryptedFile = path.join(project, 'ours.zip')
    await writeFile(encryptedFile, ciphertext)

    const output = await capgoDecrypt(project, encryptedFile, result.sessionKey, result.checksum, publicKeyFile)
    expect(output).toContain('V3')
    expect(output).toContain('Checksum matches')
    expect(await readFile(`${encryptedFile}_decrypted.zip`)).toEqual(plaintext)

    // And the peer must be able to say no: a checksum signed for other bytes.
    const wrong = signSha256(signing, sha256(Buffer.from('other bytes')))
    const refused = await capgoDecrypt(project, encryptedFile, result.sessionKey, wrong, publicKeyFile).catch(
      (error: { stdout?: string; stderr?: string }) => `${error.stdout}\n${error.stderr}`,
    )
    expect(refused).not.toContain('Checksum matches')
    expect(refused).toContain('Checksum does not match')
  })
})
