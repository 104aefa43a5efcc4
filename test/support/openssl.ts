/**
 * The system OpenSSL as an independent peer for key and crypto tests: keys it makes, and what
 * it recovers from our output, do not depend on any of this project's code.
 */
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Run openssl; returns stdout as bytes. Throws with stderr on failure. */
export async function openssl(args: string[]): Promise<Buffer> {
  const { stdout } = await run('openssl', args, { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 })
  return stdout
}

/** Writes `name` in dir and returns its path. */
async function put(dir: string, name: string, content: string | Buffer): Promise<string> {
  const file = path.join(dir, name)
  await writeFile(file, content)
  return file
}

export interface OpensslKeyFiles {
  /** PKCS#1 `BEGIN RSA PRIVATE KEY`. */
  pkcs1: string
  /** PKCS#8 `BEGIN PRIVATE KEY` of the same key. */
  pkcs8: string
  /** PKCS#1 `BEGIN RSA PUBLIC KEY`. */
  rsaPublic: string
  /** SPKI `BEGIN PUBLIC KEY`. */
  spkiPublic: string
}

/** An RSA key made by OpenSSL, in every PEM form the tests need. */
export async function opensslRsaKey(dir: string, bits = 2048, name = `rsa${bits}`): Promise<OpensslKeyFiles> {
  const pkcs1 = path.join(dir, `${name}.pkcs1.pem`)
  await openssl(['genrsa', '-traditional', '-out', pkcs1, String(bits)])
  const pkcs8 = path.join(dir, `${name}.pkcs8.pem`)
  await openssl(['pkcs8', '-topk8', '-nocrypt', '-in', pkcs1, '-out', pkcs8])
  const rsaPublic = path.join(dir, `${name}.pub.pem`)
  await openssl(['rsa', '-in', pkcs1, '-RSAPublicKey_out', '-out', rsaPublic])
  const spkiPublic = path.join(dir, `${name}.spki.pem`)
  await openssl(['rsa', '-in', pkcs1, '-pubout', '-out', spkiPublic])
  return { pkcs1, pkcs8, rsaPublic, spkiPublic }
}

/** Passphrase-protected forms: legacy PKCS#1 (`Proc-Type: 4,ENCRYPTED`) and PKCS#8 encrypted. */
export async function opensslEncryptedKeys(dir: string, pkcs1File: string): Promise<{ legacy: string; pkcs8: string }> {
  const legacy = path.join(dir, 'encrypted.legacy.pem')
  await openssl(['rsa', '-in', pkcs1File, '-traditional', '-aes256', '-passout', 'pass:secret', '-out', legacy])
  const pkcs8 = path.join(dir, 'encrypted.pkcs8.pem')
  await openssl(['pkcs8', '-topk8', '-in', pkcs1File, '-v2', 'aes-256-cbc', '-passout', 'pass:secret', '-out', pkcs8])
  return { legacy, pkcs8 }
}

export async function opensslEcKey(dir: string): Promise<string> {
  const file = path.join(dir, 'ec.pem')
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file])
  return file
}

export async function opensslEd25519Key(dir: string): Promise<string> {
  const file = path.join(dir, 'ed25519.pem')
  await openssl(['genpkey', '-algorithm', 'ed25519', '-out', file])
  return file
}

/** RSA public-decrypt ("verify-recover", PKCS#1 v1.5) of `data` with a PKCS#1 or SPKI public key file. */
export async function opensslVerifyRecover(dir: string, publicKeyFile: string, data: Buffer): Promise<Buffer> {
  const input = await put(dir, `recover-${Date.now()}-${Math.random().toString(16).slice(2)}.bin`, data)
  return openssl([
    'pkeyutl',
    '-verifyrecover',
    '-pubin',
    '-inkey',
    publicKeyFile,
    '-pkeyopt',
    'rsa_padding_mode:pkcs1',
    '-in',
    input,
  ])
}

/** AES-128-CBC (PKCS#7) decryption of a file by OpenSSL. */
export async function opensslAesDecrypt(encryptedFile: string, key: Buffer, iv: Buffer): Promise<Buffer> {
  return openssl([
    'enc',
    '-d',
    '-aes-128-cbc',
    '-K',
    key.toString('hex'),
    '-iv',
    iv.toString('hex'),
    '-in',
    encryptedFile,
  ])
}

/** Parse a public key file with OpenSSL as PKCS#1 (`-RSAPublicKey_in`): returns its modulus line. */
export async function opensslPkcs1PublicModulus(publicKeyFile: string): Promise<string> {
  return (await openssl(['rsa', '-RSAPublicKey_in', '-pubin', '-in', publicKeyFile, '-noout', '-modulus']))
    .toString()
    .trim()
}

export async function opensslPrivateModulus(privateKeyFile: string): Promise<string> {
  return (await openssl(['rsa', '-in', privateKeyFile, '-noout', '-modulus'])).toString().trim()
}

export async function readText(file: string): Promise<string> {
  return readFile(file, 'utf8')
}
