import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { secretParts } from '../src/core/config/index.js'
import { LiveUpdateError } from '../src/core/errors.js'
import { assertPublicKeyMatches, createKeyPair, keyIdOf, loadPrivateKey, loadPublicKey } from '../src/core/keys.js'
import { removeDir, tempDir } from './support/folders.js'
import {
  opensslEcKey,
  opensslEd25519Key,
  opensslEncryptedKeys,
  opensslPkcs1PublicModulus,
  opensslPrivateModulus,
  opensslRsaKey,
  readText,
  type OpensslKeyFiles,
} from './support/openssl.js'

let work: string
let rsa: OpensslKeyFiles
let other: OpensslKeyFiles
let rsa1024: OpensslKeyFiles
let pem: {
  pkcs1: string
  pkcs8: string
  rsaPublic: string
  spkiPublic: string
  otherPublic: string
  small: string
  smallPublic: string
  ec: string
  ed25519: string
  legacyEncrypted: string
  pkcs8Encrypted: string
}

beforeAll(async () => {
  work = await tempDir('live-update-keys-')
  ;[rsa, other, rsa1024] = await Promise.all([
    opensslRsaKey(work, 2048, 'main'),
    opensslRsaKey(work, 2048, 'other'),
    opensslRsaKey(work, 1024),
  ])
  const [ec, ed25519, encrypted] = await Promise.all([
    opensslEcKey(work),
    opensslEd25519Key(work),
    opensslEncryptedKeys(work, rsa.pkcs1),
  ])
  pem = {
    pkcs1: await readText(rsa.pkcs1),
    pkcs8: await readText(rsa.pkcs8),
    rsaPublic: await readText(rsa.rsaPublic),
    spkiPublic: await readText(rsa.spkiPublic),
    otherPublic: await readText(other.rsaPublic),
    small: await readText(rsa1024.pkcs1),
    smallPublic: await readText(rsa1024.rsaPublic),
    ec: await readText(ec),
    ed25519: await readText(ed25519),
    legacyEncrypted: await readText(encrypted.legacy),
    pkcs8Encrypted: await readText(encrypted.pkcs8),
  }
})

afterAll(async () => {
  await removeDir(work)
})

/** The failure must be ours, carry the code, name the input, and quote no part of the key. */
function expectKeyError(action: () => unknown, code: string, keyText: string, inputName: string): LiveUpdateError {
  let caught: unknown
  try {
    action()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(LiveUpdateError)
  const error = caught as LiveUpdateError
  expect(error.code).toBe(code)
  expect(error.stage).toBe('keys')
  expect(error.message).toContain(inputName)
  for (const line of keyText
    .split(/\r?\n|\\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)) {
    expect(error.message).not.toContain(line)
    // Not even a fragment of the base64 body.
    if (!line.startsWith('-----') && line.length >= 16) expect(error.message).not.toContain(line.slice(0, 16))
  }
  return error
}

const PKCS1_PUBLIC =
  /^-----BEGIN RSA PUBLIC KEY-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END RSA PUBLIC KEY-----\n$/
const PKCS1_PRIVATE =
  /^-----BEGIN RSA PRIVATE KEY-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END RSA PRIVATE KEY-----\n$/

describe('loadPrivateKey', () => {
  it('accepts an OpenSSL PKCS#1 key and derives the exact PKCS#1 public PEM and key_id', () => {
    const key = loadPrivateKey(pem.pkcs1)
    expect(key.publicKeyPem).toBe(pem.rsaPublic)
    expect(key.publicKeyPem).toMatch(PKCS1_PUBLIC)
    const body = pem.rsaPublic
      .split('\n')
      .filter((l) => l && !l.startsWith('-----'))
      .join('')
    expect(key.keyId).toBe(body.slice(0, 20))
    expect(key.keyId.startsWith('MIIBCgKCAQEA')).toBe(true)
    expect(key.privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048)
  })

  it('accepts PKCS#8 and gives the same public PEM and key_id as the PKCS#1 form', () => {
    expect(pem.pkcs8).toContain('BEGIN PRIVATE KEY')
    const fromPkcs8 = loadPrivateKey(pem.pkcs8)
    const fromPkcs1 = loadPrivateKey(pem.pkcs1)
    expect(fromPkcs8.publicKeyPem).toBe(fromPkcs1.publicKeyPem)
    expect(fromPkcs8.keyId).toBe(fromPkcs1.keyId)
  })

  it('tolerates CRLF, surrounding whitespace and literal \\n sequences from secret stores', () => {
    const expected = loadPrivateKey(pem.pkcs1).publicKeyPem
    expect(loadPrivateKey(pem.pkcs1.replace(/\n/g, '\r\n')).publicKeyPem).toBe(expected)
    expect(loadPrivateKey(`\n\n   ${pem.pkcs1}   \n\t`).publicKeyPem).toBe(expected)
    const oneLine = pem.pkcs1.trim().replace(/\n/g, '\\n')
    expect(oneLine).not.toContain('\n')
    expect(loadPrivateKey(oneLine).publicKeyPem).toBe(expected)
    expect(loadPrivateKey(pem.pkcs8.trim().replace(/\n/g, '\\r\\n')).publicKeyPem).toBe(expected)
  })

  it('the log masker gets every body line of a PEM, whether stored with real or literal \\n / \\r\\n', () => {
    const bodyLines = pem.pkcs1
      .trim()
      .split('\n')
      .filter((line) => !line.startsWith('-----') && line.length > 8)
    for (const stored of [
      pem.pkcs1,
      pem.pkcs1.replace(/\n/g, '\r\n'),
      pem.pkcs1.trim().replace(/\n/g, '\\n'),
      pem.pkcs1.trim().replace(/\n/g, '\\r\\n'),
    ]) {
      const parts = secretParts(stored)
      expect(parts[0]).toBe(stored)
      for (const line of bodyLines) expect(parts).toContain(line)
    }
  })

  it('refuses an empty value', () => {
    expectKeyError(() => loadPrivateKey(''), 'keys_private_key_empty', '', 'private-key')
    expectKeyError(() => loadPrivateKey('  \n \r\n', 'CAPGO_KEY'), 'keys_private_key_empty', '', 'CAPGO_KEY')
  })

  it('refuses a public key passed as the private key (PKCS#1 and SPKI)', () => {
    const error = expectKeyError(
      () => loadPrivateKey(pem.rsaPublic),
      'keys_private_key_is_public',
      pem.rsaPublic,
      'private-key',
    )
    expect(error.message).toMatch(/PRIVATE key/)
    expect(error.input).toBe('private-key')
    expectKeyError(() => loadPrivateKey(pem.spkiPublic), 'keys_private_key_is_public', pem.spkiPublic, 'private-key')
  })

  it('refuses passphrase-protected keys (legacy Proc-Type and encrypted PKCS#8)', () => {
    expect(pem.legacyEncrypted).toContain('Proc-Type: 4,ENCRYPTED')
    expect(pem.pkcs8Encrypted).toContain('BEGIN ENCRYPTED PRIVATE KEY')
    const error = expectKeyError(
      () => loadPrivateKey(pem.legacyEncrypted),
      'keys_private_key_encrypted',
      pem.legacyEncrypted,
      'private-key',
    )
    expect(error.message).toMatch(/passphrase/)
    expectKeyError(
      () => loadPrivateKey(pem.pkcs8Encrypted),
      'keys_private_key_encrypted',
      pem.pkcs8Encrypted,
      'private-key',
    )
  })

  it('refuses non-RSA keys (EC, ed25519)', () => {
    const error = expectKeyError(() => loadPrivateKey(pem.ec), 'keys_private_key_not_rsa', pem.ec, 'private-key')
    expect(error.message).toMatch(/RSA-2048/)
    expectKeyError(() => loadPrivateKey(pem.ed25519), 'keys_private_key_not_rsa', pem.ed25519, 'private-key')
  })

  it('refuses RSA keys that are not 2048 bits', () => {
    const error = expectKeyError(
      () => loadPrivateKey(pem.small),
      'keys_private_key_size_invalid',
      pem.small,
      'private-key',
    )
    expect(error.message).toContain('RSA-1024')
    expect(error.message).toContain('256-byte')
  })

  it('refuses an OpenSSH-format key with its own code', () => {
    const openssh =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n'
    const error = expectKeyError(() => loadPrivateKey(openssh), 'keys_private_key_openssh', openssh, 'private-key')
    expect(error.message).toContain('live-update key create')
  })

  it('refuses unparseable text, including a PEM with a damaged body', () => {
    expectKeyError(
      () => loadPrivateKey('not a key at all'),
      'keys_private_key_invalid',
      'not a key at all',
      'private-key',
    )
    // Damage that still parses (inside the modulus, and inside the primes) must be caught too.
    for (const lineIndex of [3, 12, 20]) {
      const lines = pem.pkcs1.split('\n')
      lines[lineIndex] = lines[lineIndex].replace(/[A-Za-z]/g, 'A')
      const damaged = lines.join('\n')
      expectKeyError(() => loadPrivateKey(damaged), 'keys_private_key_invalid', damaged, 'private-key')
    }
    const truncated = `${pem.pkcs1.split('\n').slice(0, 5).join('\n')}\n-----END RSA PRIVATE KEY-----\n`
    expectKeyError(() => loadPrivateKey(truncated), 'keys_private_key_invalid', truncated, 'private-key')
  })
})

describe('loadPublicKey', () => {
  it('accepts the PKCS#1 public key and returns the canonical PEM and key_id', () => {
    const info = loadPublicKey(pem.rsaPublic.replace(/\n/g, '\r\n'))
    expect(info.pem).toBe(pem.rsaPublic)
    expect(info.keyId).toBe(loadPrivateKey(pem.pkcs1).keyId)
    expect(info.key.type).toBe('public')
  })

  it('refuses an SPKI public key and says which form and command to use', () => {
    const error = expectKeyError(
      () => loadPublicKey(pem.spkiPublic),
      'keys_public_key_spki',
      pem.spkiPublic,
      'public-key',
    )
    expect(error.message).toContain('BEGIN RSA PUBLIC KEY')
    expect(error.message).toContain('live-update key create')
  })

  it('refuses a private key passed as the public key', () => {
    expectKeyError(() => loadPublicKey(pem.pkcs1), 'keys_public_key_is_private', pem.pkcs1, 'public-key')
    expectKeyError(() => loadPublicKey(pem.pkcs8), 'keys_public_key_is_private', pem.pkcs8, 'public-key')
  })

  it('refuses an RSA public key that is not 2048 bits', () => {
    expectKeyError(() => loadPublicKey(pem.smallPublic), 'keys_public_key_size_invalid', pem.smallPublic, 'public-key')
  })

  it('refuses empty and unparseable values', () => {
    expectKeyError(() => loadPublicKey(''), 'keys_public_key_empty', '', 'public-key')
    expectKeyError(() => loadPublicKey('hello'), 'keys_public_key_invalid', 'hello', 'public-key')
    const damaged = pem.rsaPublic.replace(/\n[A-Za-z0-9+/]{64}\n/, '\n!!\n')
    expectKeyError(() => loadPublicKey(damaged), 'keys_public_key_invalid', damaged, 'public-key')
  })
})

describe('assertPublicKeyMatches', () => {
  it('passes for the pair, whatever the PEM formatting', () => {
    const signing = loadPrivateKey(pem.pkcs8)
    expect(() => assertPublicKeyMatches(signing, pem.rsaPublic, 'the public-key input')).not.toThrow()
    expect(() => assertPublicKeyMatches(signing, pem.rsaPublic.replace(/\n/g, '\r\n'), 'x')).not.toThrow()
  })

  it('refuses another key, naming where the app key came from and both key ids', () => {
    const signing = loadPrivateKey(pem.pkcs1)
    const source = 'capacitor.config.json plugins.CapacitorUpdater.publicKey'
    // The key ids are public (devices send them); the private key text must not appear.
    const error = expectKeyError(
      () => assertPublicKeyMatches(signing, pem.otherPublic, source),
      'keys_public_key_mismatch',
      pem.pkcs1,
      source,
    )
    expect(error.message).toContain(signing.keyId)
    expect(error.message).toContain(keyIdOf(pem.otherPublic))
  })

  it('refuses an SPKI app key with its own code, naming the source', () => {
    const signing = loadPrivateKey(pem.pkcs1)
    expectKeyError(
      () => assertPublicKeyMatches(signing, pem.spkiPublic, 'capacitor.config.ts plugins.CapacitorUpdater.publicKey'),
      'keys_public_key_spki',
      pem.spkiPublic,
      'capacitor.config.ts',
    )
  })
})

describe('createKeyPair', () => {
  it('writes PKCS#1 PEMs like Capgo key create: LF, 64-char lines, trailing newline', () => {
    const pair = createKeyPair()
    expect(pair.privateKeyPem).toMatch(PKCS1_PRIVATE)
    expect(pair.publicKeyPem).toMatch(PKCS1_PUBLIC)
    const signing = loadPrivateKey(pair.privateKeyPem)
    expect(signing.publicKeyPem).toBe(pair.publicKeyPem)
    expect(signing.privateKey.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n })
    expect(keyIdOf(pair.publicKeyPem)).toBe(signing.keyId)
    expect(createKeyPair().publicKeyPem).not.toBe(pair.publicKeyPem)
  })

  it('is read by OpenSSL as PKCS#1 (-RSAPublicKey_in) and both halves share a modulus', async () => {
    const pair = createKeyPair()
    const privateFile = path.join(work, 'created.key')
    const publicFile = path.join(work, 'created.pub')
    await writeFile(privateFile, pair.privateKeyPem)
    await writeFile(publicFile, pair.publicKeyPem)
    const publicModulus = await opensslPkcs1PublicModulus(publicFile)
    expect(publicModulus).toMatch(/^Modulus=[0-9A-F]{512}$/)
    expect(publicModulus).toBe(await opensslPrivateModulus(privateFile))
  })
})

describe('keyIdOf', () => {
  it('is the first 20 base64 characters of the body, ignoring headers and line ends', () => {
    const id = keyIdOf(pem.rsaPublic.replace(/\n/g, '\r\n'))
    expect(id).toHaveLength(20)
    expect(id).toBe(pem.rsaPublic.split('\n')[1].slice(0, 20))
    expect(id.startsWith('MIIBCgKCAQEA')).toBe(true)
  })
})
