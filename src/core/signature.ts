/**
 * Signed delta manifests (docs/wire-format.md §7): the RSA type-1 private-key operation over the SHA-256 of
 * `capgo-manifest-v1\nversion:<version>\n` plus one `<file_name>:<plain sha256 hex>\n` per entry,
 * entries in UTF-8 byte order of `file_name` (`.br` included). A dropped, added or renamed entry,
 * or another version, no longer matches.
 */
import { createHash } from 'node:crypto'
import { signSha256 } from './crypto.js'
import type { SigningKey } from './types.js'

export interface ManifestFileHash {
  file_name: string
  /** Plain SHA-256 of the file's content, lowercase hex. */
  sha256: string
}

export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

export function manifestSignatureText(version: string, entries: ManifestFileHash[]): string {
  const sorted = [...entries].sort((a, b) => compareUtf8(a.file_name, b.file_name))
  return `capgo-manifest-v1\nversion:${version}\n${sorted.map((entry) => `${entry.file_name}:${entry.sha256}\n`).join('')}`
}

/** 512 lowercase hex characters. */
export function signManifest(signing: SigningKey, version: string, entries: ManifestFileHash[]): string {
  return signSha256(signing, createHash('sha256').update(manifestSignatureText(version, entries), 'utf8').digest('hex'))
}
