/**
 * The incremental deflate cache: byte-identical zips with and without it, every cached entry
 * checked (inflated and compared byte for byte with the file) before use, and the action's restore/save scoping with a
 * strict stand-in for the Actions cache service (the real one cannot run here).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { cp, mkdir, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import { createBundle } from '../src/core/bundle.js'
import { createKeyPair, loadPrivateKey } from '../src/core/keys.js'
import { bundleCacheKeys, type CacheClient, restoreBundleCache } from '../src/action/bundle-cache.js'
import {
  type CacheEntryLocation,
  cacheGeneration,
  FolderDeflateCache,
  readCacheIndex,
  trimDeflateCache,
} from '../src/core/zip/cache.js'
import { scanWebDir } from '../src/core/zip/scan.js'
import { createZipStream, type ZipOptions } from '../src/core/zip/writer.js'
import { forgeSameCrc } from './support/crc-forge.js'
import { unzipTest } from './support/peers.js'
import { removeDir, sourceLikeText, tempDir, writeTree } from './support/folders.js'

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
const silent = { info: () => undefined, warn: () => undefined, debug: () => undefined }

let work: string
let app: string
let plain: string
let count = 0

async function zip(options: ZipOptions = {}) {
  const out = path.join(work, `z${++count}.zip`)
  const { stream, summary } = createZipStream(await scanWebDir(app), options)
  await pipeline(stream, createWriteStream(out))
  return { bytes: await readFile(out), summary: await summary, out }
}

/** The cache's entries with where they are (readCacheIndex), largest first. */
function cacheEntries(dir: string): CacheEntryLocation[] {
  return readCacheIndex(cacheGeneration(dir, 6)).sort((a, b) => b.length - a.length)
}

/** Overwrites every pack with random bytes of the same size: every entry is then garbage. */
async function scramblePacks(dir: string): Promise<void> {
  const generation = cacheGeneration(dir, 6)
  for (const name of await readdir(generation)) {
    if (name.endsWith('.pack'))
      await writeFile(path.join(generation, name), randomBytes((await readFile(path.join(generation, name))).length))
  }
}

beforeAll(async () => {
  work = await tempDir()
  const files: Record<string, string | Buffer> = {
    'index.html': '<html><script src="app.js"></script></html>',
    'app.js': 'notifyAppReady()\n',
  }
  for (let i = 0; i < 40; i++) files[`assets/chunk${i}.js`] = sourceLikeText(20_000 + i * 500, i)
  files['img/a.png'] = randomBytes(5000)
  files['data.bin'] = randomBytes(3000) // incompressible: stored even when "deflatable"
  app = await writeTree(path.join(work, 'app'), files)
  plain = sha((await zip({ workers: 0 })).bytes)
})
afterAll(async () => {
  await removeDir(work)
})

describe('incremental deflate cache', () => {
  it.each([0, 2])('gives the same bytes on a miss and on a hit as without a cache (workers: %i)', async (workers) => {
    const cacheDir = path.join(work, `cache-${workers}`)
    const first = await zip({ workers, cacheDir })
    // 40 chunks, app.js, index.html and data.bin are deflatable; the png is not looked up.
    expect(first.summary.cache).toEqual({ hits: 0, misses: 43, rejected: 0 })
    const second = await zip({ workers, cacheDir })
    expect(second.summary.cache).toEqual({ hits: 43, misses: 0, rejected: 0 })
    expect(sha(first.bytes)).toBe(plain)
    expect(sha(second.bytes)).toBe(plain)
    expect(await unzipTest(second.out)).toMatch(/No errors detected/)
  })

  it('preload reads the index ahead of the first lookup (a worker does it while it waits for work)', async () => {
    const cacheDir = path.join(work, 'cache-preload')
    await zip({ workers: 0, cacheDir })
    const content = await readFile(path.join(app, 'assets', 'chunk3.js'))
    const preloaded = new FolderDeflateCache(cacheDir)
    const lazy = new FolderDeflateCache(cacheDir)
    preloaded.preload()
    // With the index files gone, only the cache that read them already still finds the entry.
    const generation = cacheGeneration(cacheDir, 6)
    for (const name of await readdir(generation)) if (name.endsWith('.idx')) await rm(path.join(generation, name))
    expect(preloaded.get(sha(content), 6, content)).toBeDefined()
    expect(lazy.get(sha(content), 6, content)).toBeUndefined()
    expect(preloaded.counts).toEqual({ hits: 1, misses: 0, rejected: 0 })
    preloaded.flush()
    lazy.flush()
  })

  it('detects tampered and corrupt entries, recompresses them and replaces them', async () => {
    const cacheDir = path.join(work, 'cache-tampered')
    await zip({ workers: 2, cacheDir })
    const entries = cacheEntries(cacheDir)
    const generation = cacheGeneration(cacheDir, 6)
    // The last entry of a pack, cut short by truncating the pack.
    const truncated = entries.reduce(
      (last, entry) => (entry.pack === entries[0].pack && entry.offset > last.offset ? entry : last),
      entries[0],
    )
    const [garbage, swapped, bomb] = entries.filter((entry) => entry !== truncated)
    await truncate(truncated.pack, truncated.offset + truncated.length - 10)
    // Garbage in place of one entry's bytes.
    const handle = await open(garbage.pack, 'r+')
    await handle.write(randomBytes(garbage.length), 0, garbage.length, garbage.offset)
    await handle.close()
    // Two entries replaced, in the index, by a valid stream of other content and a deflate bomb
    // (far longer than any deflate of its file: refused unread).
    for (const name of (await readdir(generation)).filter((file) => file.endsWith('.idx'))) {
      const lines = (await readFile(path.join(generation, name), 'utf8')).split('\n')
      await writeFile(
        path.join(generation, name),
        lines.filter((line) => !line.startsWith(swapped.sha256) && !line.startsWith(bomb.sha256)).join('\n'),
      )
    }
    const evil = zlib.deflateRawSync(Buffer.from('evil();\n'.repeat(3000)))
    const boom = zlib.deflateRawSync(Buffer.alloc(50 * 1024 * 1024))
    await writeFile(path.join(generation, 'zz-evil.pack'), Buffer.concat([evil, boom]))
    await writeFile(
      path.join(generation, 'zz-evil.idx'),
      `${swapped.sha256} 0 ${evil.length}\n${bomb.sha256} ${evil.length} ${boom.length}\nnot a line\n`,
    )
    const tampered = await zip({ workers: 2, cacheDir })
    expect(tampered.summary.cache).toEqual({ hits: 39, misses: 0, rejected: 4 })
    expect(sha(tampered.bytes)).toBe(plain)
    expect((await zip({ workers: 0, cacheDir })).summary.cache).toEqual({ hits: 43, misses: 0, rejected: 0 })
  })

  it('refuses an entry with the same size and CRC-32 as the file but other bytes (a CRC check alone would take it)', async () => {
    const cacheDir = path.join(work, 'cache-forged')
    await zip({ workers: 0, cacheDir })
    const content = await readFile(path.join(app, 'assets', 'chunk7.js'))
    const forged = forgeSameCrc(content, 100, 400)
    expect(forged.length).toBe(content.length)
    expect(zlib.crc32(forged)).toBe(zlib.crc32(content))
    const generation = cacheGeneration(cacheDir, 6)
    const evil = zlib.deflateRawSync(forged)
    // Listed last, so tried first: newest entries win.
    await writeFile(path.join(generation, 'zz-forged.pack'), evil)
    await writeFile(path.join(generation, 'zz-forged.idx'), `${sha(content)} 0 ${evil.length}\n`)
    for (const workers of [0, 2]) {
      const served = await zip({ workers, cacheDir })
      // The forged candidate is refused, the genuine one behind it is used.
      expect(served.summary.cache).toEqual({ hits: 43, misses: 0, rejected: 0 })
      expect(sha(served.bytes)).toBe(plain)
    }
    // With only the forged entry left, the file counts as rejected and is compressed again.
    for (const name of (await readdir(generation)).filter((file) => file.endsWith('.idx') && !file.startsWith('zz-'))) {
      const lines = (await readFile(path.join(generation, name), 'utf8')).split('\n')
      await writeFile(path.join(generation, name), lines.filter((line) => !line.startsWith(sha(content))).join('\n'))
    }
    const alone = await zip({ workers: 0, cacheDir })
    expect(alone.summary.cache).toEqual({ hits: 42, misses: 0, rejected: 1 })
    expect(sha(alone.bytes)).toBe(plain)
  })

  it('recompresses only what changed', async () => {
    const cacheDir = path.join(work, 'cache-changed')
    await zip({ workers: 2, cacheDir })
    const original = await readFile(path.join(app, 'assets/chunk3.js'))
    await writeFile(path.join(app, 'assets/chunk3.js'), sourceLikeText(21_500, 99))
    try {
      const changed = await zip({ workers: 2, cacheDir })
      expect(changed.summary.cache).toEqual({ hits: 42, misses: 1, rejected: 0 })
      expect(sha(changed.bytes)).toBe(sha((await zip({ workers: 0 })).bytes))
    } finally {
      await writeFile(path.join(app, 'assets/chunk3.js'), original)
    }
  })

  it('stays within a few bundles: packs beyond twice what the last bundle used are pruned to its entries', async () => {
    const cacheDir = path.join(work, 'cache-trim')
    const generation = cacheGeneration(cacheDir, 6)
    const packBytes = async () => {
      let total = 0
      for (const name of await readdir(generation))
        if (name.endsWith('.pack')) total += (await stat(path.join(generation, name))).size
      return total
    }
    const first = await zip({ workers: 0, cacheDir })
    const used = new Set(first.summary.files.map((file) => file.sha256))
    const oneBundle = await packBytes()
    // Releases that each rewrote every chunk: the folder collects old versions nobody uses.
    const originals = new Map<string, Buffer>()
    for (let i = 0; i < 40; i++)
      originals.set(`assets/chunk${i}.js`, await readFile(path.join(app, `assets/chunk${i}.js`)))
    try {
      for (let release = 1; release <= 3; release++) {
        for (let i = 0; i < 40; i++)
          await writeFile(path.join(app, `assets/chunk${i}.js`), sourceLikeText(20_000 + i * 500, 1000 * release + i))
        await zip({ workers: 0, cacheDir })
      }
      expect(await packBytes()).toBeGreaterThan(3 * oneBundle)
      // Under the (lowered) budget nothing happens; over it, the last bundle's entries are all that is left.
      expect(trimDeflateCache(cacheDir, 6, used, { slackBytes: 100 * 1024 * 1024 })).toEqual({ pruned: false })
      expect(trimDeflateCache(cacheDir, 6, used, { slackBytes: 0 })).toEqual({ pruned: true })
      expect(await packBytes()).toBeLessThanOrEqual(oneBundle)
      expect(new Set(cacheEntries(cacheDir).map((entry) => entry.sha256))).toEqual(
        new Set([...used].filter((hash) => readCacheIndex(generation).some((entry) => entry.sha256 === hash))),
      )
    } finally {
      for (const [name, content] of originals) await writeFile(path.join(app, name), content)
    }
    // The bundle it was pruned for is served from it entirely.
    expect((await zip({ workers: 0, cacheDir })).summary.cache).toEqual({ hits: 43, misses: 0, rejected: 0 })
  })

  it('createBundle trims only after its deflate workers wrote their last entries', async () => {
    // Deflate workers (over 2 MiB), each writing more than one 1 MiB batch of new entries to its
    // pack while bundling and holding the rest until the pool closes.
    const files: Record<string, string> = { 'index.html': '<html></html>', 'app.js': 'notifyAppReady()\n' }
    for (let i = 0; i < 400; i++) files[`assets/part${i}.js`] = sourceLikeText(40_000 + i * 10, 500 + i)
    const big = await writeTree(path.join(work, 'app-trim-workers'), files)
    const cacheDir = path.join(work, 'cache-trim-workers')
    const generation = cacheGeneration(cacheDir, 6)
    await mkdir(generation, { recursive: true })
    await writeFile(path.join(generation, 'old.pack'), Buffer.alloc(70 * 1024 * 1024))
    const pair = createKeyPair()
    await createBundle({
      webDir: big,
      version: '1.0.0',
      signing: loadPrivateKey(pair.privateKeyPem),
      outFile: path.join(work, 'trimmed-workers.zip.enc'),
      requireNotifyAppReady: true,
      cacheDir,
    })
    expect(await readdir(generation)).not.toContain('old.pack')
    const again = createZipStream(await scanWebDir(big), { workers: 2, cacheDir })
    await pipeline(again.stream, createWriteStream(path.join(work, 'trimmed-workers.zip')))
    expect((await again.summary).cache).toEqual({ hits: 402, misses: 0, rejected: 0 })
  })

  it('createBundle trims the folder it was given', async () => {
    const cacheDir = path.join(work, 'cache-bundle-trim')
    const generation = cacheGeneration(cacheDir, 6)
    await mkdir(generation, { recursive: true })
    // 70 MiB of packs no index lists (a crashed run's, an old release's): over the 64 MiB slack.
    await writeFile(path.join(generation, 'old.pack'), Buffer.alloc(70 * 1024 * 1024))
    const pair = createKeyPair()
    const bundle = await createBundle({
      webDir: app,
      version: '1.0.0',
      signing: loadPrivateKey(pair.privateKeyPem),
      outFile: path.join(work, 'trimmed.zip.enc'),
      requireNotifyAppReady: true,
      cacheDir,
    })
    expect(bundle.sha256).toBe(plain)
    const names = await readdir(generation)
    expect(names).not.toContain('old.pack')
    expect(names.filter((name) => name.endsWith('.pack'))).toHaveLength(1)
    expect((await zip({ workers: 0, cacheDir })).summary.cache).toEqual({ hits: 43, misses: 0, rejected: 0 })
  })
})

/**
 * The Actions cache service as GitHub documents it: entries are immutable (saving an existing
 * key fails), a restore tries the key then each restore key as a prefix (newest first), and a
 * run only sees entries saved on its own ref or on the default branch.
 */
class ActionsCacheStandIn {
  readonly entries: { key: string; ref: string; at: number; archive: string }[] = []
  private clock = 0
  constructor(
    private readonly store: string,
    private readonly defaultRef = 'refs/heads/main',
  ) {}

  client(ref: string, paths: string[]): CacheClient {
    const visible = () => this.entries.filter((entry) => entry.ref === ref || entry.ref === this.defaultRef)
    return {
      isFeatureAvailable: () => true,
      restoreCache: async (requested, primaryKey, restoreKeys = []) => {
        expect(requested).toEqual(paths) // the cache version hashes the paths: they must match the save
        for (const [index, wanted] of [primaryKey, ...restoreKeys].entries()) {
          const matches = visible()
            .filter((entry) => (index === 0 ? entry.key === wanted : entry.key.startsWith(wanted)))
            .sort((a, b) => b.at - a.at)
          if (matches.length === 0) continue
          await rm(paths[0], { recursive: true, force: true })
          await cp(matches[0].archive, paths[0], { recursive: true })
          return matches[0].key
        }
        return undefined
      },
      saveCache: async (saved, key) => {
        expect(saved).toEqual(paths)
        if (key.length > 512 || key.includes(',')) throw new Error(`invalid key ${key}`)
        if (this.entries.some((entry) => entry.key === key && entry.ref === ref))
          throw new Error(`Unable to reserve cache with key ${key}, another job may be creating this cache.`)
        const archive = path.join(this.store, String(++this.clock))
        await cp(saved[0], archive, { recursive: true })
        this.entries.push({ key, ref, at: this.clock, archive })
        return this.clock
      },
    }
  }
}

describe('bundle-cache in the action (stand-in cache service)', () => {
  const runEnv = (ref: string, runId: string, baseRef?: string): NodeJS.ProcessEnv => ({
    GITHUB_REF: ref,
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_ATTEMPT: '1',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    ...(baseRef ? { GITHUB_BASE_REF: baseRef } : {}),
  })

  it('scopes keys by ref: a pull request reads main, main never reads a pull request', () => {
    const main = bundleCacheKeys(runEnv('refs/heads/main', '1'))!
    const pr = bundleCacheKeys(runEnv('refs/pull/7/merge', '2', 'main'))!
    expect(main.restoreKeys).toEqual(['live-update-deflate-v1-Linux-X64-refs/heads/main-'])
    expect(pr.restoreKeys).toEqual([
      'live-update-deflate-v1-Linux-X64-refs/pull/7/merge-',
      'live-update-deflate-v1-Linux-X64-refs/heads/main-',
    ])
    expect(pr.key.startsWith(main.restoreKeys[0])).toBe(false)
    expect(bundleCacheKeys({})).toBeUndefined()
  })

  it('restores before bundling and saves after; a poisoned pull-request cache never reaches main', async () => {
    const service = new ActionsCacheStandIn(path.join(work, 'service'))
    const runnerTemp = path.join(work, 'runner-temp')
    await mkdir(runnerTemp, { recursive: true })
    const paths = [path.join(runnerTemp, 'live-update-deflate-cache')]
    const run = async (env: NodeJS.ProcessEnv, poison = false) => {
      await rm(paths[0], { recursive: true, force: true }) // a fresh runner
      const session = (await restoreBundleCache(service.client(env.GITHUB_REF!, paths), runnerTemp, env, silent))!
      const made = await zip({ workers: 2, cacheDir: session.dir })
      // A hostile pull request build rewrites the cache folder before the action saves it.
      if (poison) await scramblePacks(session.dir)
      await session.save(
        6,
        made.summary.files.map((file) => file.sha256),
      )
      return made
    }
    const first = await run(runEnv('refs/heads/main', '100'))
    expect(first.summary.cache).toMatchObject({ hits: 0, misses: 43 })
    const pr = await run(runEnv('refs/pull/7/merge', '101', 'main'), true)
    // The pull request starts from main's entries...
    expect(pr.summary.cache).toEqual({ hits: 43, misses: 0, rejected: 0 })
    // ...and saves poisoned ones under its own ref, which main's next run never restores.
    const second = await run(runEnv('refs/heads/main', '102'))
    expect(second.summary.cache).toEqual({ hits: 43, misses: 0, rejected: 0 })
    for (const made of [first, pr, second]) expect(sha(made.bytes)).toBe(plain)
    expect(service.entries.map((entry) => entry.ref)).toEqual([
      'refs/heads/main',
      'refs/pull/7/merge',
      'refs/heads/main',
    ])
  })

  it('keeps going without the service (no cache, a warning at most)', async () => {
    const client: CacheClient = {
      isFeatureAvailable: () => false,
      restoreCache: async () => {
        throw new Error('not called')
      },
      saveCache: async () => {
        throw new Error('not called')
      },
    }
    expect(await restoreBundleCache(client, work, runEnv('refs/heads/main', '1'), silent)).toBeUndefined()
    const failing: CacheClient = {
      isFeatureAvailable: () => true,
      restoreCache: async () => {
        throw new Error('503')
      },
      saveCache: async () => {
        throw new Error('503')
      },
    }
    const warnings: string[] = []
    const session = (await restoreBundleCache(failing, work, runEnv('refs/heads/main', '1'), {
      ...silent,
      warn: (message: string) => void warnings.push(message),
    }))!
    const made = await zip({ workers: 0, cacheDir: session.dir })
    await session.save(
      6,
      made.summary.files.map((file) => file.sha256),
    )
    expect(warnings).toEqual([expect.stringContaining('could not restore'), expect.stringContaining('could not save')])
  })
})
