/**
 * Signed bundle metadata (docs/wire-format.md §7), checked by the plugin (>= 8.53) when present: it binds the
 * version name to the zip (and, for delta updates, to the whole manifest), so a server cannot serve a
 * genuine bundle under another version or drop, add or rename manifest entries.
 * Payloads are byte-exact with Capgo's CLI (`buildBundleSignaturePayload` /
 * `buildManifestSignaturePayload` in its src/api/crypto.ts) and the plugin's CryptoCipher.
 */
import { constants, createHash, type KeyObject, privateEncrypt, publicDecrypt } from 'node:crypto'
import { loadPublicKey } from './keys.js'
import type { SigningKey } from './types.js'

export const BUNDLE_SIGNATURE_HEADER = 'capgo-bundle-v1'
export const MANIFEST_SIGNATURE_HEADER = 'capgo-manifest-v1'

/** Byte order of UTF-8 names: what the plugin sorts manifest entries by. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

export interface ManifestSignatureEntry {
  /** As in the manifest, with its `.br` when compressed. */
  file_name: string
  /** Plain SHA-256 of the file, hex (lowercased in the payload). */
  sha256: string
}

const SHA256_HEX = /^[0-9a-f]{64}$/i
// What the device accepts (Android's verifySignature takes either case); we always emit lowercase.
const SIGNATURE_HEX = /^[0-9a-f]{512}$/i

/** A line break would let one field forge the next line of the payload. */
function assertLineSafe(value: string, what: string): void {
  if (value === '' || /[\r\n]/.test(value)) throw new Error(`${what} must be non-empty and on one line`)
}

function assertSha256(value: string, what: string): void {
  if (!SHA256_HEX.test(value)) throw new Error(`${what} must be a 64-character hex SHA-256`)
}

/** `capgo-bundle-v1\nversion:<version>\nchecksum:<zip sha256, lowercase hex>\n` */
export function bundleSignaturePayload(version: string, zipSha256: string): string {
  assertLineSafe(version, 'the version')
  assertSha256(zipSha256, 'the zip checksum')
  return `${BUNDLE_SIGNATURE_HEADER}\nversion:${version}\nchecksum:${zipSha256.toLowerCase()}\n`
}

/** Header, version, then `<file_name>:<sha256>` per entry sorted by the UTF-8 bytes of file_name. */
export function manifestSignaturePayload(version: string, entries: readonly ManifestSignatureEntry[]): string {
  assertLineSafe(version, 'the version')
  const sorted = [...entries].sort((a, b) => compareUtf8(a.file_name, b.file_name))
  let payload = `${MANIFEST_SIGNATURE_HEADER}\nversion:${version}\n`
  for (const entry of sorted) {
    assertLineSafe(entry.file_name, 'a manifest file_name')
    assertSha256(entry.sha256, `the hash of ${entry.file_name}`)
    payload += `${entry.file_name}:${entry.sha256.toLowerCase()}\n`
  }
  return payload
}

function digest(payload: string): Buffer {
  return createHash('sha256').update(Buffer.from(payload, 'utf8')).digest()
}

/** RSA PKCS#1 v1.5 type-1 private-key operation over the bare SHA-256 (no DigestInfo), 512 lowercase hex. */
export function signPayload(signing: SigningKey, payload: string): string {
  return privateEncrypt({ key: signing.privateKey, padding: constants.RSA_PKCS1_PADDING }, digest(payload)).toString(
    'hex',
  )
}

export function signBundleMetadata(signing: SigningKey, version: string, zipSha256: string): string {
  return signPayload(signing, bundleSignaturePayload(version, zipSha256))
}

export function signManifestMetadata(
  signing: SigningKey,
  version: string,
  entries: readonly ManifestSignatureEntry[],
): string {
  return signPayload(signing, manifestSignaturePayload(version, entries))
}

/** As the device checks it: the recovered bytes must be exactly the payload's 32-byte SHA-256. */
export function verifyPayloadSignature(publicKey: string | KeyObject, payload: string, signatureHex: string): boolean {
  if (!SIGNATURE_HEX.test(signatureHex)) return false
  let recovered: Buffer
  try {
    const key = typeof publicKey === 'string' ? loadPublicKey(publicKey).key : publicKey
    recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(signatureHex, 'hex'))
  } catch {
    return false
  }
  const expected = digest(payload)
  return recovered.length === expected.length && recovered.equals(expected)
}

export function verifyBundleSignature(
  publicKey: string | KeyObject,
  version: string,
  zipSha256: string,
  signatureHex: string,
): boolean {
  return verifyPayloadSignature(publicKey, bundleSignaturePayload(version, zipSha256), signatureHex)
}

export function verifyManifestSignature(
  publicKey: string | KeyObject,
  version: string,
  entries: readonly ManifestSignatureEntry[],
  signatureHex: string,
): boolean {
  return verifyPayloadSignature(publicKey, manifestSignaturePayload(version, entries), signatureHex)
}

/** The names the delta publisher (src/core/delta) uses. */
export type ManifestFileHash = ManifestSignatureEntry
export const manifestSignatureText = manifestSignaturePayload
export const signManifest = signManifestMetadata
