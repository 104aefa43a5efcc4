/**
 * The file list of a release record (name, size, sha256 of each file): taken from the bundle when
 * the zip stage reports it, else computed from the same scan the zip uses.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { scanWebDir } from '../zip/scan.js'
import type { ReleaseFile } from './schema.js'

export async function releaseFiles(webDir: string, fromBundle?: readonly ReleaseFile[]): Promise<ReleaseFile[]> {
  if (fromBundle) return fromBundle.map(({ name, size, sha256 }) => ({ name, size, sha256 }))
  const scanned = await scanWebDir(webDir)
  const files: ReleaseFile[] = []
  for (const entry of scanned.entries) {
    if (entry.isDirectory || !entry.file) continue
    const hash = createHash('sha256')
    for await (const chunk of createReadStream(entry.file)) hash.update(chunk as Buffer)
    files.push({ name: entry.name, size: entry.size, sha256: hash.digest('hex') })
  }
  return files
}
