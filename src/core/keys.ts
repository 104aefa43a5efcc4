/**
 * Loading and checking the signing key pair (docs/wire-format.md §1).
 *
 * Devices only understand PKCS#1 PEM (`BEGIN RSA PUBLIC KEY`) for RSA-2048, so everything here
 * either produces that form or refuses with a message saying what to do. Messages never quote
 * the key text: a private key pasted into the wrong field must not end up in a CI log.
 */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateEncrypt,
  publicDecrypt,
  type KeyObject,
} from 'node:crypto'
import { LiveUpdateError } from './errors.js'
import type { SigningKey } from './types.js'
import type { KeysErrorCode } from './error-codes.js'

/** Devices check 256-byte signatures: anything but RSA-2048 fails on every installed app. */
const REQUIRED_BITS = 2048

export interface PublicKeyInfo {
  key: KeyObject
  /** Canonical PKCS#1 PEM re-exported from the key (LF, 64-char lines, trailing newline). */
  pem: string
  keyId: string
}

export interface KeyPair {
  privateKeyPem: string
  publicKeyPem: string
}

/** A bare field name ('private-key') becomes a `{{field}}` reference; a description is kept as is. */
function named(input: string): string {
  return /\s|\{\{/.test(input) ? input : `{{${input}}}`
}

function keyError(code: KeysErrorCode, input: string, message: string, cause?: unknown): LiveUpdateError {
  return new LiveUpdateError(code, message, { stage: 'keys', input, cause })
}

/**
 * Secret stores mangle PEMs in predictable ways: CRLF line ends, surrounding whitespace, or the
 * newlines stored as the two characters `\n`. Undo those before parsing.
 */
export function normalizePem(text: string): string {
  return text.replace(/\\r/g, '').replace(/\\n/g, '\n').replace(/\r\n?/g, '\n').trim()
}

/** Label of the first PEM block (`RSA PRIVATE KEY`, `PUBLIC KEY`, ...), or undefined when there is none. */
function firstPemLabel(pem: string): string | undefined {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1]
}

const PRIVATE_LABELS = new Set([
  'RSA PRIVATE KEY',
  'PRIVATE KEY',
  'ENCRYPTED PRIVATE KEY',
  'EC PRIVATE KEY',
  'OPENSSH PRIVATE KEY',
  'DSA PRIVATE KEY',
])
const PUBLIC_LABELS = new Set(['RSA PUBLIC KEY', 'PUBLIC KEY'])

/** The first 20 characters of the PEM's base64 body: what devices send as `key_id`. */
export function keyIdOf(publicPem: string): string {
  return normalizePem(publicPem)
    .replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '')
    .replace(/\s+/g, '')
    .slice(0, 20)
}

function pkcs1PublicPem(key: KeyObject): string {
  const publicKey = key.type === 'public' ? key : createPublicKey(key)
  return publicKey.export({ type: 'pkcs1', format: 'pem' }).toString()
}

/**
 * Load the company's signing key (the CI secret). Accepts PKCS#1 or PKCS#8 PEM and derives the
 * PKCS#1 public PEM and key_id the app must hold.
 */
export function loadPrivateKey(pemText: string, input = 'private-key'): SigningKey {
  const pem = normalizePem(pemText ?? '')
  if (pem === '') {
    throw keyError(
      'keys_private_key_empty',
      input,
      `${named(input)} is empty. Set it to the full PEM text of your private key file (.capgo_key_v2), usually from a CI secret.`,
    )
  }
  const label = firstPemLabel(pem)
  if (label !== undefined && PUBLIC_LABELS.has(label)) {
    throw keyError(
      'keys_private_key_is_public',
      input,
      `${named(input)} holds a public key (${label}). It needs the PRIVATE key (.capgo_key_v2, BEGIN RSA PRIVATE KEY); the public key (.capgo_key_v2.pub) goes in the app's capacitor.config.`,
    )
  }
  if (label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/i.test(pem)) {
    throw keyError(
      'keys_private_key_encrypted',
      input,
      `${named(input)} is passphrase-protected, which CI cannot unlock. Store an unencrypted copy as the secret, e.g. 'openssl rsa -in key.pem -traditional -out .capgo_key_v2' (it asks for the passphrase once).`,
    )
  }
  if (label === 'OPENSSH PRIVATE KEY') {
    throw keyError(
      'keys_private_key_openssh',
      input,
      `${named(input)} is an OpenSSH-format key, not a PEM RSA key. Create a signing key with 'live-update key create' (or 'npx @capgo/cli key create').`,
    )
  }
  if (label === undefined) {
    throw keyError(
      'keys_private_key_invalid',
      input,
      `${named(input)} is not PEM text: expected a block starting with '-----BEGIN RSA PRIVATE KEY-----' (the whole .capgo_key_v2 file, header lines included).`,
    )
  }
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' })
  } catch (error) {
    // The parser's own message is dropped on purpose: it is not useful and we never risk echoing key material.
    throw keyError(
      'keys_private_key_invalid',
      input,
      `${named(input)} could not be parsed as a PEM private key (${label} block). Check that the secret holds the complete .capgo_key_v2 file, unmodified.`,
      error,
    )
  }
  assertRsa2048(privateKey, input, 'private_key')
  assertSignsConsistently(privateKey, input)
  const publicKeyPem = pkcs1PublicPem(privateKey)
  return { privateKey, publicKeyPem, keyId: keyIdOf(publicKeyPem) }
}

/**
 * A PEM whose body was damaged (a bad copy/paste into a secret) can still parse, yet every
 * signature it makes would fail on devices. One test signature (~1 ms) catches that here.
 */
function assertSignsConsistently(privateKey: KeyObject, input: string): void {
  const probe = Buffer.alloc(32, 0x5a)
  let recovered: Buffer | undefined
  try {
    const signed = privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, probe)
    recovered = publicDecrypt({ key: createPublicKey(privateKey), padding: constants.RSA_PKCS1_PADDING }, signed)
  } catch {
    recovered = undefined
  }
  if (!recovered?.equals(probe)) {
    throw keyError(
      'keys_private_key_invalid',
      input,
      `${named(input)} is damaged: it parses, but a test signature does not verify with its own public key. Copy the complete .capgo_key_v2 file into the secret again, unmodified.`,
    )
  }
}

function assertRsa2048(key: KeyObject, input: string, codePrefix: 'private_key' | 'public_key'): void {
  if (key.asymmetricKeyType !== 'rsa') {
    throw keyError(
      `keys_${codePrefix}_not_rsa`,
      input,
      `${named(input)} is a ${key.asymmetricKeyType ?? 'non-RSA'} key. Capacitor live updates need an RSA-2048 key: create one with 'live-update key create'.`,
    )
  }
  const bits = key.asymmetricKeyDetails?.modulusLength
  if (bits !== REQUIRED_BITS) {
    throw keyError(
      `keys_${codePrefix}_size_invalid`,
      input,
      `${named(input)} is an RSA-${bits} key; devices only accept RSA-${REQUIRED_BITS} (256-byte signatures). Create a new key with 'live-update key create'.`,
    )
  }
}

/**
 * Load the public key the app holds. Only PKCS#1 (`BEGIN RSA PUBLIC KEY`) is accepted because that
 * is all the plugin accepts: an SPKI key would pass here and then break every device.
 */
export function loadPublicKey(pemText: string, input = 'public-key'): PublicKeyInfo {
  const pem = normalizePem(pemText ?? '')
  if (pem === '') {
    throw keyError(
      'keys_public_key_empty',
      input,
      `${named(input)} is empty. Set it to the full PEM text of .capgo_key_v2.pub (BEGIN RSA PUBLIC KEY).`,
    )
  }
  const label = firstPemLabel(pem)
  if (label !== undefined && PRIVATE_LABELS.has(label)) {
    throw keyError(
      'keys_public_key_is_private',
      input,
      `${named(input)} holds a PRIVATE key (${label}). Never put the private key in the app or a public input; use the public key (.capgo_key_v2.pub, BEGIN RSA PUBLIC KEY) here, and rotate the private key if it was committed.`,
    )
  }
  if (label === 'PUBLIC KEY') {
    throw keyError(
      'keys_public_key_spki',
      input,
      `${named(input)} is an SPKI public key (BEGIN PUBLIC KEY), which the Capacitor updater plugin does not accept. Use the PKCS#1 form (BEGIN RSA PUBLIC KEY), as written by 'live-update key create'; convert with 'openssl rsa -pubin -in key.pub -RSAPublicKey_out'.`,
    )
  }
  if (label !== 'RSA PUBLIC KEY') {
    throw keyError(
      'keys_public_key_invalid',
      input,
      `${named(input)} is not a PKCS#1 public key PEM: expected a block starting with '-----BEGIN RSA PUBLIC KEY-----' (the whole .capgo_key_v2.pub file).`,
    )
  }
  let key: KeyObject
  try {
    key = createPublicKey({ key: pem, format: 'pem' })
  } catch (error) {
    throw keyError(
      'keys_public_key_invalid',
      input,
      `${named(input)} could not be parsed as an RSA public key. Check that it holds the complete, unmodified .capgo_key_v2.pub file.`,
      error,
    )
  }
  assertRsa2048(key, input, 'public_key')
  const canonical = pkcs1PublicPem(key)
  return { key, pem: canonical, keyId: keyIdOf(canonical) }
}

/**
 * Refuse to sign with a key the app cannot check: every device would answer `checksum_fail`.
 * Compares modulus and exponent, not PEM text, so formatting differences do not matter.
 */
export function assertPublicKeyMatches(signing: SigningKey, publicPem: string, source: string): void {
  const app = loadPublicKey(publicPem, source)
  const ours = createPublicKey(signing.privateKey).export({ format: 'jwk' })
  const theirs = app.key.export({ format: 'jwk' })
  if (ours.n !== theirs.n || ours.e !== theirs.e) {
    throw new LiveUpdateError(
      'keys_public_key_mismatch',
      `The app's public key from ${source} (key_id ${app.keyId}) is not the pair of the private key (key_id ${signing.keyId}). Devices would reject every bundle signed with it. Use the private key that belongs to the app's public key, or update the app's public key and ship a new native build.`,
      { stage: 'keys', input: 'public-key' },
    )
  }
}

/** A new signing key pair, byte-for-byte in the format of Capgo's `key create` (PKCS#1 PEM both). */
export function createKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: REQUIRED_BITS,
    publicExponent: 0x10001,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
  })
  return { privateKeyPem: privateKey, publicKeyPem: publicKey }
}
