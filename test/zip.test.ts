import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { cp, mkdir, readFile, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { scanWebDir } from '../src/core/zip/scan.js'
import { createZipStream, zipPieces } from '../src/core/zip/writer.js'
import { writeOrder } from '../src/core/zip/write-order.js'
import { createBundle } from '../src/core/bundle.js'
import { createKeyPair, loadPrivateKey } from '../src/core/keys.js'
import { verifyBundle } from '../src/core/verify.js'
import { javaZipInputStream, unzipTest, zipinfoVerbose } from './support/peers.js'
import { makeSmallApp, removeDir, sourceLikeText, tempDir, writeTree } from './support/folders.js'

async function zipFolder(dir: string, out: string, options = {}) {
  const scanned = await scanWebDir(dir)
  const { stream, summary } = createZipStream(scanned, options)
  await pipeline(stream, createWriteStream(out))
  return { scanned, summary: await summary }
}

const sha = (buffer: Buffer) => createHash('sha256').update(buffer).digest('hex')

let work: string
beforeAll(async () => {
  work = await tempDir()
})
afterAll(async () => {
  await removeDir(work)
})

describe('zip writer', () => {
  it('writes an Android-readable zip: index.html at the root, in write order, no data descriptors, precompressed files stored', async () => {
    const app = await makeSmallApp(path.join(work, 'app1'), {
      'fonts/a.woff2': randomBytes(500),
      '.well-known/assetlinks.json': '[]\n',
      '.DS_Store': 'junk',
      'ünïcode/file.js': 'console.log(1)\n',
      'empty.txt': '',
    })
    const out = path.join(work, 'app1.zip')
    const { scanned, summary } = await zipFolder(app, out)
    expect(summary.mentionsNotifyAppReady).toBe(true)
    expect((await readFile(out)).length).toBe(summary.zipSize)

    expect(await unzipTest(out)).toMatch(/No errors detected/)
    const java = await javaZipInputStream(out)
    const names = java.entries.map((entry) => entry.name)
    expect(names).toEqual(writeOrder(scanned.entries).map((entry) => entry.name))
    expect(names).toContain('index.html')
    expect(names).toContain('.well-known/assetlinks.json')
    expect(names).not.toContain('.DS_Store')
    expect(names).toContain('ünïcode/file.js')
    // Folders first, then files; the summary lists the files in name order whatever the write order.
    const folders = names.filter((name) => name.endsWith('/'))
    expect(names.slice(0, folders.length)).toEqual(folders)
    const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b))
    const fileNames = names.filter((name) => !name.endsWith('/'))
    expect(summary.files.map((file) => file.name)).toEqual([...fileNames].sort(byBytes))
    const methodOf = (name: string) => java.entries.find((entry) => entry.name === name)!.method
    expect(methodOf('img/logo.png')).toBe(0)
    expect(methodOf('fonts/a.woff2')).toBe(0)
    expect(methodOf('css/site.css')).toBe(8)
    expect(java.entries.find((entry) => entry.name === 'css/site.css')!.size).toBe(50 * 19)

    const info = await zipinfoVerbose(out)
    expect(info).not.toMatch(/extended local header:\s+yes/)
    expect(info).toMatch(/extended local header:\s+no/)
  })

  it('gives identical bytes for the same folder, whatever the mtimes or copy', async () => {
    const app = await makeSmallApp(path.join(work, 'app2'), { 'js/chunk.js': sourceLikeText(200_000, 3) })
    const copy = path.join(work, 'app2-copy')
    await cp(app, copy, { recursive: true })
    await utimes(path.join(copy, 'index.html'), new Date(2001, 1, 1), new Date(2001, 1, 1))
    const a = path.join(work, 'a.zip')
    const b = path.join(work, 'b.zip')
    const c = path.join(work, 'c.zip')
    await zipFolder(app, a)
    await zipFolder(copy, b)
    await zipFolder(app, c, { lookahead: 1, workers: 0 })
    const d = path.join(work, 'd.zip')
    const { summary } = await zipFolder(app, d, { workers: 2 })
    expect(summary.mentionsNotifyAppReady).toBe(true)
    expect(sha(await readFile(a))).toBe(sha(await readFile(b)))
    expect(sha(await readFile(a))).toBe(sha(await readFile(c)))
    // Worker threads and libuv's pool give the same bytes.
    expect(sha(await readFile(a))).toBe(sha(await readFile(d)))
    expect(await unzipTest(d)).toMatch(/No errors detected/)
  })

  it('streams large files (deflated through a spill file, stored ones read twice) and finds notifyAppReady across chunks', async () => {
    const big = sourceLikeText(10 * 1024 * 1024, 9)
    // The call sits right across the 1 MiB read-chunk boundary.
    const boundary = 1024 * 1024 - 5
    const script = `${big.slice(0, boundary)}notifyAppReady()${big.slice(boundary)}`
    const app = await writeTree(path.join(work, 'app3'), {
      'index.html': '<html></html>',
      'vendor.js': script,
      'video.mp4': randomBytes(9 * 1024 * 1024),
    })
    const out = path.join(work, 'app3.zip')
    const spillDir = path.join(work, 'spill')
    await mkdir(spillDir)
    const { summary } = await zipFolder(app, out, { tempDir: spillDir })
    expect(summary.mentionsNotifyAppReady).toBe(true)
    expect(await readdir(spillDir)).toEqual([])
    expect(await unzipTest(out)).toMatch(/No errors detected/)
    const java = await javaZipInputStream(out)
    expect(java.entries.find((entry) => entry.name === 'vendor.js')).toMatchObject({ method: 8, size: script.length })
    expect(java.entries.find((entry) => entry.name === 'video.mp4')).toMatchObject({ method: 0, size: 9 * 1024 * 1024 })
    expect(summary.zipSize).toBeLessThan(script.length / 2 + 9.1 * 1024 * 1024)
  })

  it('lists every file with the SHA-256 of its content, the same from workers, the main thread and the streaming path', async () => {
    const contents: Record<string, string | Buffer> = {
      'index.html': '<html></html>',
      'b/z.js': 'notifyAppReady()',
      'a.css': 'x'.repeat(3000),
      'big.js': sourceLikeText(9 * 1024 * 1024, 4),
      'big.mp4': randomBytes(9 * 1024 * 1024),
      'empty.txt': '',
    }
    const app = await writeTree(path.join(work, 'digests'), contents)
    const expected = Object.entries(contents)
      .map(([name, content]) => ({ name, size: Buffer.from(content).length, sha256: sha(Buffer.from(content)) }))
      .sort((x, y) => Buffer.compare(Buffer.from(x.name), Buffer.from(y.name)))
    for (const workers of [0, 2]) {
      const { summary } = await zipFolder(app, path.join(work, `digests-${workers}.zip`), { workers })
      expect(summary.files).toEqual(expected)
    }
  })

  it('reports a file that cannot be read, from a worker too, naming it', async () => {
    const app = await makeSmallApp(path.join(work, 'unreadable'), { 'secret.js': 'x' })
    const scanned = await scanWebDir(app)
    await rm(path.join(app, 'secret.js'))
    const { stream, summary } = createZipStream(scanned, { workers: 2 })
    await expect(pipeline(stream, createWriteStream(path.join(work, 'unreadable.zip')))).rejects.toMatchObject({
      code: 'bundle_file_unreadable',
      message: expect.stringContaining("'secret.js'"),
    })
    await expect(summary).rejects.toMatchObject({ code: 'bundle_file_unreadable' })
  })

  it('reuses worker buffers and frees deflate output (zipPieces, createBundle) without changing a byte of the zip', async () => {
    // Over the 2 MiB at which workers start, with hundreds of batches: every batch buffer is handed
    // back and refilled many times, and a buffer handed back too early would corrupt the files after it.
    const files: Record<string, string | Buffer> = {}
    for (let i = 0; i < 700; i++)
      files[`assets/chunk-${String(i).padStart(3, '0')}.js`] = sourceLikeText(6000 + (i % 7) * 1500, i)
    for (let i = 0; i < 40; i++) files[`img/${i}.png`] = randomBytes(20_000 + i * 100)
    // Deflate output bigger than Node's buffer pool: freed by the worker right after it is copied.
    for (let i = 0; i < 6; i++) files[`assets/vendor-${i}.js`] = sourceLikeText(400_000, 1000 + i)
    const app = await makeSmallApp(path.join(work, 'recycled'), files)
    const scanned = await scanWebDir(app)
    expect(scanned.rawSize).toBeGreaterThan(4 * 1024 * 1024)
    const streamed = path.join(work, 'recycled-stream.zip')
    await pipeline(createZipStream(scanned, { workers: 2 }).stream, createWriteStream(streamed))
    const expected = await readFile(streamed)
    await expect(unzipTest(streamed)).resolves.toMatch(/No errors detected/)

    const pieces = zipPieces(scanned, { workers: 2 })
    const copies: Buffer[] = []
    let next = await pieces.next()
    // Each piece is copied before the next is asked for: what zipPieces promises its consumer.
    for (; !next.done; next = await pieces.next()) copies.push(Buffer.from(next.value))
    expect(sha(Buffer.concat(copies))).toBe(sha(expected))
    expect(next.value.files).toHaveLength(750)

    const pair = createKeyPair()
    const out = path.join(work, 'recycled.zip.enc')
    const bundle = await createBundle({
      webDir: app,
      version: '1.0.0',
      signing: loadPrivateKey(pair.privateKeyPem),
      outFile: out,
      requireNotifyAppReady: true,
    })
    expect(bundle.sha256).toBe(sha(expected))
    // Both digests checked against the bytes (this text-heavy bundle hashes inline; the media-heavy test below on a thread).
    const encrypted = await readFile(out)
    expect(encrypted.length).toBe(bundle.encryptedSize)
    expect(sha(encrypted)).toBe(bundle.encryptedSha256)
    const report = await verifyBundle({
      source: out,
      sessionKey: bundle.sessionKey,
      checksum: bundle.checksum,
      publicKeyPem: pair.publicKeyPem,
    })
    expect(report).toMatchObject({ ok: true, sha256: sha(expected), entries: 750 + 3 })
  })

  it('a media-heavy bundle (hashed on a thread of its own) has the digests of its bytes', async () => {
    const files: Record<string, string | Buffer> = {}
    for (let i = 0; i < 12; i++) files[`media/clip${i}.mp4`] = randomBytes(700_000 + i * 1000)
    const app = await makeSmallApp(path.join(work, 'media-heavy'), files)
    const pair = createKeyPair()
    const out = path.join(work, 'media-heavy.zip.enc')
    const bundle = await createBundle({
      webDir: app,
      version: '1.0.0',
      signing: loadPrivateKey(pair.privateKeyPem),
      outFile: out,
      requireNotifyAppReady: true,
    })
    const encrypted = await readFile(out)
    expect(encrypted.length).toBe(bundle.encryptedSize)
    expect(sha(encrypted)).toBe(bundle.encryptedSha256)
    const report = await verifyBundle({
      source: out,
      sessionKey: bundle.sessionKey,
      checksum: bundle.checksum,
      publicKeyPem: pair.publicKeyPem,
    })
    expect(report).toMatchObject({ ok: true, sha256: bundle.sha256 })
  })

  it('reports when no script mentions notifyAppReady', async () => {
    const app = await writeTree(path.join(work, 'app4'), { 'index.html': '<html></html>', 'main.js': 'console.log(1)' })
    const { summary } = await zipFolder(app, path.join(work, 'app4.zip'))
    expect(summary.mentionsNotifyAppReady).toBe(false)
  })

  it('stores an incompressible file even when its type is usually compressible', async () => {
    const app = await writeTree(path.join(work, 'app5'), {
      'index.html': '<html></html>',
      'data.bin': randomBytes(20_000),
    })
    const out = path.join(work, 'app5.zip')
    await zipFolder(app, out)
    const java = await javaZipInputStream(out)
    expect(java.entries.find((entry) => entry.name === 'data.bin')!.method).toBe(0)
  })
})

describe('scanning the web output', () => {
  it('follows symlinks that stay inside the folder and stores their content', async () => {
    const app = await makeSmallApp(path.join(work, 'links'))
    await symlink('app.js', path.join(app, 'alias.js'))
    await symlink('css', path.join(app, 'styles'))
    const scanned = await scanWebDir(app)
    const names = scanned.entries.map((entry) => entry.name)
    expect(names).toEqual(expect.arrayContaining(['alias.js', 'styles/', 'styles/site.css']))
    expect(scanned.entries.find((entry) => entry.name === 'alias.js')!.isDirectory).toBe(false)
  })

  const failures: [string, (dir: string) => Promise<void>, string, RegExp][] = [
    ['a missing folder', async () => {}, 'bundle_folder_missing', /does not exist/],
    ['an empty folder', async (dir) => void (await mkdir(dir)), 'bundle_folder_empty', /holds no files/],
    [
      'a folder with only subfolders',
      async (dir) => void (await mkdir(path.join(dir, 'sub'), { recursive: true })),
      'bundle_folder_empty',
      /holds no files/,
    ],
    [
      'index.html in a subfolder',
      async (dir) => void (await writeTree(dir, { 'www/index.html': 'x', 'www/a.js': 'notifyAppReady' })),
      'bundle_index_html_missing',
      /found at 'www\/index.html'/,
    ],
    [
      'a symlink leaving the folder',
      async (dir) => {
        await makeSmallApp(dir)
        await symlink('/etc/hostname', path.join(dir, 'host.txt'))
      },
      'bundle_symlink_outside',
      /host\.txt.*outside/,
    ],
    [
      'a directory symlink leaving the folder',
      async (dir) => {
        await makeSmallApp(dir)
        await symlink('..', path.join(dir, 'up'))
      },
      'bundle_symlink_outside',
      /'up' points outside/,
    ],
    [
      'a broken symlink',
      async (dir) => {
        await makeSmallApp(dir)
        await symlink('nowhere.js', path.join(dir, 'dead.js'))
      },
      'bundle_symlink_broken',
      /dead\.js/,
    ],
    [
      'a file name with a backslash',
      async (dir) => void (await makeSmallApp(dir, { 'a\\b.js': 'x' })),
      'bundle_name_backslash',
      /backslash/,
    ],
  ]
  it.each(failures)('refuses %s with a specific error naming the path input', async (_label, setup, code, message) => {
    const dir = path.join(work, `bad-${code}-${Math.random().toString(36).slice(2)}`)
    await setup(dir)
    await expect(scanWebDir(dir)).rejects.toMatchObject({
      code,
      stage: 'bundle',
      input: 'path',
      message: expect.stringMatching(message),
    })
  })

  it('refuses a file given instead of a folder', async () => {
    const file = path.join(work, 'plain.txt')
    await writeFile(file, 'x')
    await expect(scanWebDir(file)).rejects.toMatchObject({ code: 'bundle_folder_not_dir' })
  })
})
