/**
 * A content-addressed cache of deflated entries, shared across runs (a folder the CLI's
 * --cache-dir names, or the action restores with @actions/cache). The key is what determines
 * the deflated bytes: the content's SHA-256, the level and the zlib build. An entry is used only
 * after inflating it and comparing the result, byte for byte, with the file read in this run, so a
 * corrupted or hostile cache costs time but never changes a bundle. (A CRC-32 check alone would
 * not do against a hostile cache: four chosen bytes give any content any CRC. The comparison is
 * also cheaper than a second CRC pass.)
 *
 * Layout: per generation (format, zlib build, level) a folder of packs. Each writer (a deflate
 * worker, or the main thread) appends its new entries to its own `<id>.pack`, in 1 MiB writes,
 * and lists them in `<id>.idx`, one `<sha256> <offset> <length>` line each, written after the
 * data. One file per entry cost three system calls to create and three to read, which made a
 * first run with the cache far slower than one without.
 * Synchronous: it runs inside the deflate workers, between reading a file and deflating it.
 */
import { randomBytes } from 'node:crypto'
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { freeNow } from './free-now.ts'
import { deflateBound } from './prepare.ts'

/** Bump when what an entry holds changes. */
const CACHE_FORMAT = 2
/** New entries are written once this much is buffered (and at flush); entries are copied, not held. */
const WRITE_BYTES = 1024 * 1024
/** Entries tried per content hash, newest first. */
const MAX_CANDIDATES = 3
const INDEX_LINE = /^([0-9a-f]{64}) (\d{1,15}) (\d{1,10})$/

export interface DeflateCache {
  /**
   * Deflated data for this content (whose SHA-256 is `sha256`), checked to inflate to exactly
   * `content`; undefined on a miss. The buffer is reused by the next call: copy it to keep it.
   */
  get(sha256: string, level: number, content: Buffer): Buffer | undefined
  put(sha256: string, level: number, deflated: Buffer): void
}

/** Per file: served from the cache, not there, or there but failing the check (then recompressed and stored anew). */
export interface CacheCounts {
  hits: number
  misses: number
  rejected: number
}

/** The folder the entries of this format, zlib build and level live in. */
export function cacheGeneration(dir: string, level: number): string {
  return path.join(dir, `v${CACHE_FORMAT}-zlib${process.versions.zlib}-l${level}`)
}

export interface CacheEntryLocation {
  sha256: string
  pack: string
  offset: number
  length: number
}

/** Every entry the index files of a generation list (malformed lines are skipped), later packs last. */
export function readCacheIndex(generation: string): CacheEntryLocation[] {
  const entries: CacheEntryLocation[] = []
  for (const name of readdirSafe(generation)
    .filter((file) => file.endsWith('.idx'))
    .sort()) {
    let text: string
    try {
      text = readFileSync(path.join(generation, name), 'latin1')
    } catch {
      continue
    }
    const pack = path.join(generation, `${name.slice(0, -4)}.pack`)
    for (const line of text.split('\n')) {
      const match = INDEX_LINE.exec(line)
      if (match) entries.push({ sha256: match[1], pack, offset: Number(match[2]), length: Number(match[3]) })
    }
  }
  return entries
}

/** New entries of one level: copied into `pending` (reused), appended to the pack when it is full. */
interface PackWriter {
  pack: string
  idx: string
  /** Where the next entry starts in the pack. */
  offset: number
  pending: Buffer
  used: number
  lines: string[]
}

export class FolderDeflateCache implements DeflateCache {
  readonly counts: CacheCounts = { hits: 0, misses: 0, rejected: 0 }
  private readonly dir: string
  private readonly index = new Map<string, Map<string, CacheEntryLocation[]>>()
  private readonly packs = new Map<string, number>()
  private readonly writers = new Map<number, PackWriter>()
  private scratch = Buffer.allocUnsafeSlow(1 << 16)

  constructor(dir: string) {
    this.dir = dir
  }

  /** Candidates per content hash, newest (last listed) first. */
  private entries(level: number): Map<string, CacheEntryLocation[]> {
    let entries = this.index.get(`${level}`)
    if (!entries) {
      entries = new Map()
      for (const entry of readCacheIndex(cacheGeneration(this.dir, level))) {
        const list = entries.get(entry.sha256)
        if (list) list.unshift(entry)
        else entries.set(entry.sha256, [entry])
      }
      this.index.set(`${level}`, entries)
    }
    return entries
  }

  /**
   * Reads the index of every level this folder holds now, instead of at the first lookup: a deflate
   * worker does it while it waits for its first batch (~10 ms for 3,500 entries, off the critical path).
   */
  preload(): void {
    for (let level = 1; level <= 9; level++) if (existsSync(cacheGeneration(this.dir, level))) this.entries(level)
  }

  get(sha256: string, level: number, content: Buffer): Buffer | undefined {
    const candidates = this.entries(level).get(sha256)
    if (!candidates) {
      this.counts.misses++
      return undefined
    }
    // A few candidates at most (a replaced entry, a hostile index listing many): each costs an inflate.
    for (const entry of candidates.slice(0, MAX_CANDIDATES)) {
      const stored = this.checked(entry, content)
      if (stored) {
        this.counts.hits++
        return stored
      }
    }
    this.counts.rejected++
    return undefined
  }

  /** The entry's data if it inflates to exactly `content`; undefined otherwise. */
  private checked(entry: CacheEntryLocation, content: Buffer): Buffer | undefined {
    const size = content.length
    // No deflate of `size` bytes is longer than this (zlib's deflateBound, rounded up): a longer
    // entry is refused unread, so a hostile index cannot make this allocate much.
    if (entry.length > deflateBound(size)) return undefined
    try {
      const stored = this.readEntry(entry)
      // One output chunk of the file's size: no growing list of chunks to concatenate (the
      // garbage of the check dominated the workers' GC time on a run served from the cache).
      // Larger than Node's shared pool, so freeNow can release it right after the comparison.
      const plain = zlib.inflateRawSync(stored, {
        maxOutputLength: Math.max(1, size),
        chunkSize: Math.max(size + 1, Buffer.poolSize + 1),
      })
      const same = plain.equals(content)
      freeNow(plain)
      return same ? stored : undefined
    } catch {
      // Missing pack, short read, not a deflate stream, longer than the file: like a wrong CRC.
      return undefined
    }
  }

  private readEntry(entry: CacheEntryLocation): Buffer {
    let fd = this.packs.get(entry.pack)
    if (fd === undefined) {
      fd = openSync(entry.pack, 'r')
      this.packs.set(entry.pack, fd)
    }
    if (this.scratch.length < entry.length) this.scratch = Buffer.allocUnsafeSlow(entry.length)
    const read = readSync(fd, this.scratch, 0, entry.length, entry.offset)
    if (read !== entry.length) throw new Error('short read')
    return this.scratch.subarray(0, read)
  }

  /** Stores `deflated` for this content; copies it (the caller may free or reuse it afterwards). */
  put(sha256: string, level: number, deflated: Buffer): void {
    let writer = this.writers.get(level)
    if (!writer) {
      const generation = cacheGeneration(this.dir, level)
      const id = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`
      writer = {
        pack: path.join(generation, `${id}.pack`),
        idx: path.join(generation, `${id}.idx`),
        offset: 0,
        pending: Buffer.allocUnsafeSlow(WRITE_BYTES),
        used: 0,
        lines: [],
      }
      this.writers.set(level, writer)
    }
    if (writer.used + deflated.length > writer.pending.length) {
      this.flushWriter(writer)
      if (deflated.length > writer.pending.length) writer.pending = Buffer.allocUnsafeSlow(deflated.length)
    }
    writer.used += deflated.copy(writer.pending, writer.used)
    writer.lines.push(`${sha256} ${writer.offset} ${deflated.length}\n`)
    writer.offset += deflated.length
  }

  private flushWriter(writer: PackWriter): void {
    if (writer.lines.length === 0) return
    const data = writer.pending.subarray(0, writer.used)
    const lines = writer.lines.join('')
    writer.used = 0
    writer.lines = []
    try {
      mkdirSync(path.dirname(writer.pack), { recursive: true })
      // Data first, then the lines that point at it: an interrupted run never indexes missing bytes.
      appendFileSync(writer.pack, data)
      appendFileSync(writer.idx, lines)
    } catch {
      // The cache is an optimisation: a full or read-only disk must not fail the bundle.
    }
  }

  /** Writes what is buffered and closes the packs read. */
  flush(): void {
    for (const writer of this.writers.values()) this.flushWriter(writer)
    for (const fd of this.packs.values()) closeSync(fd)
    this.packs.clear()
  }
}

/**
 * Keeps only the entries a bundle used (and only the current generation), rewritten into one
 * pack, so a cache carried from run to run holds one bundle's worth of entries. Entries are copied
 * one at a time through one buffer: the kept ones are never all in memory at once.
 */
export function pruneDeflateCache(
  dir: string,
  level: number,
  keep: ReadonlySet<string>,
  entries: CacheEntryLocation[] = readCacheIndex(cacheGeneration(dir, level)),
): { kept: number; removed: number } {
  const current = cacheGeneration(dir, level)
  for (const generation of readdirSafe(dir)) {
    if (path.join(dir, generation) !== current) rmSync(path.join(dir, generation), { recursive: true, force: true })
  }
  const chosen = new Map<string, CacheEntryLocation>()
  for (const entry of entries) if (keep.has(entry.sha256)) chosen.set(entry.sha256, entry)
  const old = readdirSafe(current).map((name) => path.join(current, name))
  const id = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}-pruned`
  const lines: string[] = []
  if (chosen.size > 0) {
    const fds = new Map<string, number>()
    const out = openSync(path.join(current, `${id}.pack`), 'wx')
    let scratch = Buffer.allocUnsafeSlow(1 << 16)
    let offset = 0
    try {
      for (const entry of chosen.values()) {
        let fd = fds.get(entry.pack)
        if (fd === undefined) fds.set(entry.pack, (fd = openSync(entry.pack, 'r')))
        if (scratch.length < entry.length) scratch = Buffer.allocUnsafeSlow(entry.length)
        if (readSync(fd, scratch, 0, entry.length, entry.offset) !== entry.length) continue
        for (let written = 0; written < entry.length; )
          written += writeSync(out, scratch, written, entry.length - written, offset + written)
        lines.push(`${entry.sha256} ${offset} ${entry.length}\n`)
        offset += entry.length
      }
    } finally {
      closeSync(out)
      for (const fd of fds.values()) closeSync(fd)
    }
    // Data first, then the index that points at it (as the writers do).
    if (lines.length > 0) writeFileSync(path.join(current, `${id}.idx`), lines.join(''))
    else rmSync(path.join(current, `${id}.pack`), { force: true })
  }
  for (const file of old) rmSync(file, { force: true })
  return { kept: lines.length, removed: new Set(entries.map((entry) => entry.sha256)).size - lines.length }
}

/** Slack over twice what the last bundle used, before the folder is rewritten. */
const TRIM_SLACK_BYTES = 64 * 1024 * 1024

/**
 * Keeps a cache folder from growing run after run: each bundle appends the entries it compressed,
 * so a folder used for release after release holds every version of every changed file. Once its
 * packs hold more than twice what this bundle used, plus 64 MiB, it is pruned to this bundle's
 * entries (the base of the next release). Never fails: the cache is an optimisation.
 */
export function trimDeflateCache(
  dir: string,
  level: number,
  used: ReadonlySet<string>,
  options: { slackBytes?: number } = {},
): { pruned: boolean } {
  try {
    const generation = cacheGeneration(dir, level)
    let packBytes = 0
    for (const name of readdirSafe(generation))
      if (name.endsWith('.pack')) packBytes += statSync(path.join(generation, name)).size
    let usedBytes = 0
    const counted = new Set<string>()
    const entries = readCacheIndex(generation)
    for (const entry of entries) {
      if (used.has(entry.sha256) && !counted.has(entry.sha256)) {
        counted.add(entry.sha256)
        usedBytes += entry.length
      }
    }
    if (packBytes <= 2 * usedBytes + (options.slackBytes ?? TRIM_SLACK_BYTES)) return { pruned: false }
    pruneDeflateCache(dir, level, used, entries)
    return { pruned: true }
  } catch {
    return { pruned: false }
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
