// The floor for bundling a folder on N cores, measured in-process on this machine and input:
// one core's CPU time for level-N deflate of the compressible files, plus AES-128-CBC and
// SHA-256 over the zip, all divided by N, plus the start of a bare Node process (issue 12's floor).
// Two more, to tell our overhead from work the floor leaves out:
// - the work floor adds what every bundle of ours must also do per file: read it, CRC-32 it (the
//   zip header) and SHA-256 it (the manifest and the cache key);
// - the cached floor is the work of a second bundle served by the cache: per-file work, inflate
//   and compare each reused entry, deflate the files that changed, AES + SHA of the zip.
import { execFileSync } from 'node:child_process'
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { median } from './stats.mjs'

const STORED =
  /\.(png|jpe?g|gif|webp|avif|heic|heif|jxl|ico|woff2?|mp3|mp4|m4a|m4v|aac|ogg|oga|opus|webm|mov|zip|gz|tgz|br|zst|xz|bz2|7z|rar|pdf)$/i

export function listFiles(dir) {
  const out = []
  for (const child of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, child.name)
    if (child.isDirectory()) out.push(...listFiles(full))
    else if (child.isFile()) out.push(full)
  }
  return out
}

const cpuSeconds = (start) => {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1e6
}

/** Median wall time of starting a Node process that does nothing. */
export function processStartSeconds(runs = 5) {
  const times = []
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint()
    execFileSync(process.execPath, ['-e', ''])
    times.push(Number(process.hrtime.bigint() - started) / 1e9)
  }
  return median(times)
}

/** CPU seconds to read, CRC-32 and SHA-256 every file (the files are in the page cache by now). */
function perFileWork(files) {
  const start = process.cpuUsage()
  const hashes = new Map()
  for (const file of files) {
    const content = readFileSync(file)
    zlib.crc32(content)
    hashes.set(file, createHash('sha256').update(content).digest('hex'))
  }
  return { seconds: cpuSeconds(start), hashes }
}

function cipherHashSeconds(zipBytes) {
  const block = randomBytes(1 << 20)
  const start = process.cpuUsage()
  const cipher = createCipheriv('aes-128-cbc', randomBytes(16), randomBytes(16))
  const hash = createHash('sha256')
  for (let done = 0; done < zipBytes; done += block.length) {
    const piece = done + block.length <= zipBytes ? block : block.subarray(0, zipBytes - done)
    hash.update(piece)
    cipher.update(piece)
  }
  cipher.final()
  hash.digest()
  return cpuSeconds(start)
}

/**
 * `zipBytes`: the plaintext zip size to cipher and hash (ours, from the same run). The files are
 * read before the clock starts: reading is not part of the floor. `entries` (content hash ->
 * deflated bytes) is what a cache filled by a bundle of this folder holds: pass it to
 * measureCachedFloor after the folder changed.
 */
export function measureFloor(webDir, { level = 6, cores, zipBytes }) {
  const files = listFiles(webDir)
  const compressible = files.filter((file) => !STORED.test(file))
  const contents = compressible.map((file) => readFileSync(file))
  const start = process.cpuUsage()
  const deflated = contents.map((content) => zlib.deflateRawSync(content, { level }))
  const deflate = cpuSeconds(start)
  const cipherHash = cipherHashSeconds(zipBytes)
  const perFile = perFileWork(files)
  const entries = new Map(compressible.map((file, i) => [perFile.hashes.get(file), deflated[i]]))
  const startup = processStartSeconds()
  return {
    deflate,
    cipherHash,
    perFile: perFile.seconds,
    startup,
    cores,
    seconds: (deflate + cipherHash) / cores + startup,
    workSeconds: (deflate + cipherHash + perFile.seconds) / cores + startup,
    entries,
  }
}

/**
 * The floor of a second bundle of `webDir` with a cache holding `entries` (from measureFloor):
 * per-file work, inflate + compare for each file whose content has an entry, deflate for the rest.
 */
export function measureCachedFloor(webDir, entries, { level = 6, cores, zipBytes }) {
  const files = listFiles(webDir)
  const perFile = perFileWork(files)
  const compressible = files.filter((file) => !STORED.test(file))
  const contents = compressible.map((file) => readFileSync(file))
  let reused = 0
  const start = process.cpuUsage()
  compressible.forEach((file, i) => {
    const entry = entries.get(perFile.hashes.get(file))
    if (entry) {
      reused++
      if (!zlib.inflateRawSync(entry).equals(contents[i])) throw new Error(`${file}: the entry does not inflate to it`)
    } else zlib.deflateRawSync(contents[i], { level })
  })
  const entryWork = cpuSeconds(start)
  const cipherHash = cipherHashSeconds(zipBytes)
  const startup = processStartSeconds()
  return {
    perFile: perFile.seconds,
    entryWork,
    cipherHash,
    reused,
    compressed: compressible.length - reused,
    startup,
    seconds: (perFile.seconds + entryWork + cipherHash) / cores + startup,
  }
}
