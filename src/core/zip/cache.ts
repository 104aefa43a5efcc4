/**
 * A content-addressed cache of deflated entries, shared across runs (a folder the CLI's
 * --cache-dir names, or the action restores with @actions/cache). The key is what determines
 * the deflated bytes: the content's SHA-256, the level and the zlib build. An entry is used only
 * after inflating it and checking length and CRC-32 against the file read in this run, so a
 * corrupted or hostile cache costs time but never changes a bundle.
 * Synchronous: it runs inside the deflate workers, between reading a file and deflating it.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'

/** Bump when what an entry holds changes. */
const CACHE_FORMAT = 1

export interface DeflateCache {
  /** Deflated data for this content, checked against its CRC and size; undefined on a miss. */
  get(sha256: string, level: number, crc: number, size: number): Buffer | undefined
  put(sha256: string, level: number, deflated: Buffer): void
}

export interface CacheCounts {
  hits: number
  misses: number
  /** Entries present but failing the check (corrupt or tampered): recompressed and replaced. */
  rejected: number
}

/** The folder the entries of this format, zlib build and level live in (also what the action prunes). */
export function cacheGeneration(dir: string, level: number): string {
  return path.join(dir, `v${CACHE_FORMAT}-zlib${process.versions.zlib}-l${level}`)
}

export class FolderDeflateCache implements DeflateCache {
  readonly counts: CacheCounts = { hits: 0, misses: 0, rejected: 0 }
  private readonly madeFolders = new Set<string>()
  private readonly dir: string

  constructor(dir: string) {
    this.dir = dir
  }

  private entryPath(sha256: string, level: number): string {
    return path.join(cacheGeneration(this.dir, level), sha256.slice(0, 2), sha256)
  }

  get(sha256: string, level: number, crc: number, size: number): Buffer | undefined {
    let stored: Buffer
    try {
      stored = readFileSync(this.entryPath(sha256, level))
    } catch {
      this.counts.misses++
      return undefined
    }
    try {
      const plain = zlib.inflateRawSync(stored, { maxOutputLength: Math.max(1, size) })
      if (plain.length === size && zlib.crc32(plain) === crc) {
        this.counts.hits++
        return stored
      }
    } catch {
      // Not a deflate stream, or longer than the file: treated like a wrong CRC.
    }
    this.counts.rejected++
    return undefined
  }

  put(sha256: string, level: number, deflated: Buffer): void {
    const file = this.entryPath(sha256, level)
    const folder = path.dirname(file)
    const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`
    try {
      if (!this.madeFolders.has(folder)) {
        mkdirSync(folder, { recursive: true })
        this.madeFolders.add(folder)
      }
      // Written aside and renamed: a reader never sees half an entry.
      writeFileSync(temporary, deflated)
      renameSync(temporary, file)
    } catch {
      // The cache is an optimisation: a full or read-only disk must not fail the bundle.
      rmSync(temporary, { force: true })
    }
  }
}

/**
 * Keeps only the entries a bundle used (and only the current generation), so a cache carried
 * from run to run holds one bundle's worth of entries instead of growing with every release.
 */
export function pruneDeflateCache(dir: string, level: number, keep: ReadonlySet<string>): { kept: number; removed: number } {
  const current = cacheGeneration(dir, level)
  let kept = 0
  let removed = 0
  for (const generation of readdirSafe(dir)) {
    const folder = path.join(dir, generation)
    if (folder !== current) {
      rmSync(folder, { recursive: true, force: true })
      continue
    }
    for (const shard of readdirSafe(folder)) {
      for (const name of readdirSafe(path.join(folder, shard))) {
        if (keep.has(name)) kept++
        else {
          rmSync(path.join(folder, shard, name), { force: true })
          removed++
        }
      }
    }
  }
  return { kept, removed }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
