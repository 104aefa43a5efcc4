// The floor for bundling a folder on N cores, measured in-process on this machine and input:
// one core's CPU time for level-N deflate of the compressible files, plus AES-128-CBC and
// SHA-256 over the zip, all divided by N, plus the start of a bare Node process.
import { execFileSync } from 'node:child_process'
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { median } from './stats.mjs'

const STORED =
  /\.(png|jpe?g|gif|webp|avif|heic|heif|jxl|ico|woff2?|mp3|mp4|m4a|m4v|aac|ogg|oga|opus|webm|mov|zip|gz|tgz|br|zst|xz|bz2|7z|rar|pdf)$/i

function listFiles(dir) {
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

/**
 * `zipBytes`: the plaintext zip size to cipher and hash (ours, from the same run). The files are
 * read before the clock starts: reading is not part of the floor.
 */
export function measureFloor(webDir, { level = 6, cores, zipBytes }) {
  const contents = listFiles(webDir)
    .filter((file) => !STORED.test(file))
    .map((file) => readFileSync(file))
  let start = process.cpuUsage()
  for (const content of contents) zlib.deflateRawSync(content, { level })
  const deflate = cpuSeconds(start)
  const block = randomBytes(1 << 20)
  start = process.cpuUsage()
  const cipher = createCipheriv('aes-128-cbc', randomBytes(16), randomBytes(16))
  const hash = createHash('sha256')
  for (let done = 0; done < zipBytes; done += block.length) {
    const piece = done + block.length <= zipBytes ? block : block.subarray(0, zipBytes - done)
    hash.update(piece)
    cipher.update(piece)
  }
  cipher.final()
  hash.digest()
  const cipherHash = cpuSeconds(start)
  const startup = processStartSeconds()
  return { deflate, cipherHash, startup, cores, seconds: (deflate + cipherHash) / cores + startup }
}
