import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createKeyPair, loadPrivateKey } from '../src/core/keys.js'
import {
  bundleSignaturePayload,
  manifestSignaturePayload,
  signBundleMetadata,
  signManifestMetadata,
  verifyBundleSignature,
  verifyManifestSignature,
  verifyPayloadSignature,
} from '../src/core/signature.js'
import type { SigningKey } from '../src/core/types.js'
import { removeDir, tempDir } from './support/folders.js'
import { openssl, opensslVerifyRecover } from './support/openssl.js'

interface Vectors {
  publicKeyPem: string
  rsaPublicDecrypt: { id: string; input: { ciphertextHex: string }; expect: { plaintextHex: string } }[]
  decryptChecksumInvalid: { input: { checksumHex: string } }[]
  bundlePayload: { version: string; checksumHex: string; payload: string }
  manifestPayload: { version: string; entries: { file_name: string; hash: string }[]; payload: string }
  generatorManifestEntries: { file_name: string; hashHex: string }[]
}

const here = path.dirname(fileURLToPath(import.meta.url))
let vectors: Vectors
let work: string
let signing: SigningKey
let publicKeyPem: string
let publicKeyFile: string

beforeAll(async () => {
  vectors = JSON.parse(await readFile(path.join(here, 'fixtures', 'capgo-signature-vectors.json'), 'utf8')) as Vectors
  work = await tempDir('live-update-signature-')
  const pair = createKeyPair()
  signing = loadPrivateKey(pair.privateKeyPem)
  publicKeyPem = pair.publicKeyPem
  publicKeyFile = path.join(work, 'key.pub')
  await writeFile(publicKeyFile, publicKeyPem)
})

afterAll(async () => {
  await removeDir(work)
})

const sha256 = (text: string) => createHash('sha256').update(Buffer.from(text, 'utf8')).digest()
const zipSha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

describe('payloads are byte-exact with the plugin', () => {
  it('bundle payload (BundleSignatureTest.bundlePayloadIsByteExact): checksum lowercased, LF only, trailing LF', () => {
    const { version, checksumHex, payload } = vectors.bundlePayload
    expect(bundleSignaturePayload(version, checksumHex)).toBe(payload)
    expect(payload.endsWith('\n')).toBe(true)
  })

  it('manifest payload sorts by UTF-8 bytes (uppercase first, é after ASCII) and lowercases hashes', () => {
    const { version, entries, payload } = vectors.manifestPayload
    // The plugin's test uses 2-char hashes; ours insists on real SHA-256s, so expand both sides alike.
    const full = entries.map((entry) => ({ file_name: entry.file_name, sha256: entry.hash.repeat(32) }))
    const expected = payload.replace(
      /:([0-9a-f]{2})\n/gi,
      (_match, hash: string) => `:${hash.toLowerCase().repeat(32)}\n`,
    )
    expect(manifestSignaturePayload(version, full)).toBe(expected)
    expect(Buffer.byteLength(expected, 'utf8')).toBe(expected.length + 2)
  })

  it('refuses a version or file name that would add a line to the payload', () => {
    expect(() => bundleSignaturePayload('1.0.0\nchecksum:00', zipSha)).toThrow(/one line/)
    expect(() => bundleSignaturePayload('1.0.0', 'abc')).toThrow(/SHA-256/)
    expect(() => manifestSignaturePayload('1.0.0', [{ file_name: 'a\nb', sha256: zipSha }])).toThrow(/one line/)
  })
})

describe("the plugin's RSA contract vectors (native-contract-tests/crypto-rsa.json)", () => {
  it("accepts the fixture's private-key operation over sha256('') as a signature of the empty payload", () => {
    const vector = vectors.rsaPublicDecrypt.find((v) => v.id === 'checksum-sha256-32-bytes')!
    expect(vector.expect.plaintextHex).toBe(sha256('').toString('hex'))
    expect(verifyPayloadSignature(vectors.publicKeyPem, '', vector.input.ciphertextHex)).toBe(true)
    expect(verifyPayloadSignature(vectors.publicKeyPem, '', vector.input.ciphertextHex.toUpperCase())).toBe(true)
    expect(verifyPayloadSignature(vectors.publicKeyPem, 'x', vector.input.ciphertextHex)).toBe(false)
  })

  it('refuses a recovered value that is not 32 bytes (the 16-byte session-key vector) and a 255-byte input', () => {
    const sessionKey = vectors.rsaPublicDecrypt.find((v) => v.id === 'session-key-16-bytes')!
    expect(verifyPayloadSignature(vectors.publicKeyPem, '', sessionKey.input.ciphertextHex)).toBe(false)
    expect(verifyPayloadSignature(vectors.publicKeyPem, '', vectors.decryptChecksumInvalid[0]!.input.checksumHex)).toBe(
      false,
    )
  })
})

describe('the generator script cases, with our own key', () => {
  it('valid / tampered-version / wrong-length-signature', () => {
    const signature = signBundleMetadata(signing, '1.2.3', zipSha)
    expect(signature).toMatch(/^[0-9a-f]{512}$/)
    expect(verifyBundleSignature(publicKeyPem, '1.2.3', zipSha, signature)).toBe(true)
    expect(verifyBundleSignature(publicKeyPem, '1.2.4', zipSha, signature)).toBe(false)
    expect(verifyBundleSignature(publicKeyPem, '1.2.3', zipSha, signature.slice(0, 510))).toBe(false)
    expect(verifyBundleSignature(publicKeyPem, '1.2.3', 'f'.repeat(64), signature)).toBe(false)
  })

  it('valid-unsorted-input / dropped-entry / renamed-entry / wrong version', () => {
    const entries = vectors.generatorManifestEntries.map((e) => ({ file_name: e.file_name, sha256: e.hashHex }))
    const signature = signManifestMetadata(signing, '1.2.3', entries)
    expect(verifyManifestSignature(publicKeyPem, '1.2.3', [...entries].reverse(), signature)).toBe(true)
    expect(verifyManifestSignature(publicKeyPem, '1.2.3', entries.slice(1), signature)).toBe(false)
    expect(
      verifyManifestSignature(
        publicKeyPem,
        '1.2.3',
        [{ ...entries[0]!, file_name: 'index2.html' }, ...entries.slice(1)],
        signature,
      ),
    ).toBe(false)
    expect(verifyManifestSignature(publicKeyPem, '1.2.4', entries, signature)).toBe(false)
  })
})

describe('OpenSSL as the independent peer', () => {
  it('verify-recover of our bundle signature gives exactly SHA-256 of the payload (no DigestInfo)', async () => {
    const version = '2.0.0-rc.1'
    const signature = signBundleMetadata(signing, version, zipSha)
    const payloadFile = path.join(work, 'payload.txt')
    await writeFile(payloadFile, `capgo-bundle-v1\nversion:${version}\nchecksum:${zipSha}\n`)
    const digest = (await openssl(['dgst', '-sha256', '-binary', payloadFile])) as Buffer
    const recovered = await opensslVerifyRecover(work, publicKeyFile, Buffer.from(signature, 'hex'))
    expect(recovered.length).toBe(32)
    expect(recovered.equals(digest)).toBe(true)
  })

  it('verify-recover of a manifest signature gives SHA-256 of the sorted manifest payload', async () => {
    const entries = vectors.generatorManifestEntries.map((e) => ({ file_name: e.file_name, sha256: e.hashHex }))
    const signature = signManifestMetadata(signing, '1.2.3', entries)
    const payloadFile = path.join(work, 'manifest.txt')
    await writeFile(payloadFile, manifestSignaturePayload('1.2.3', entries))
    const digest = (await openssl(['dgst', '-sha256', '-binary', payloadFile])) as Buffer
    const recovered = await opensslVerifyRecover(work, publicKeyFile, Buffer.from(signature, 'hex'))
    expect(recovered.equals(digest)).toBe(true)
  })
})
