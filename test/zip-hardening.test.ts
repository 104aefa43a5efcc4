/**
 * The zip package at its limits and under hostile file systems (issue 9 items 5, 8, 9, 10, 11;
 * the adversarial review's D6, D9, D10, D11, D12): each case gets a specific error before any
 * work, or a bundle whose bytes match its headers.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, writeFileSync } from 'node:fs'
import { mkdir, open, symlink, truncate, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { isInside } from '../src/core/paths.js'
import { MAX_ENTRIES, MAX_FILE_SIZE } from '../src/core/zip/format.js'
import { scanWebDir } from '../src/core/zip/scan.js'
import { createZipStream } from '../src/core/zip/writer.js'
import { unzipTest } from './support/peers.js'
import { makeSmallApp, removeDir, tempDir, writeTree } from './support/folders.js'

let work: string
beforeAll(async () => {
  work = await tempDir()
})
afterAll(async () => {
  await removeDir(work)
})

const refusal = (code: string, message: RegExp | string) => ({
  code,
  stage: 'bundle',
  input: 'path',
  exitCode: 3,
  message: expect.stringMatching(message),
})

describe('one limit for bundler and reader (no ZIP64)', () => {
  it('refuses 65,535 entries at the scan (the ZIP64 sentinel), accepts 65,534', async () => {
    const app = await makeSmallApp(path.join(work, 'many'))
    // makeSmallApp gives 4 files and 2 folders: fill up to exactly the limit.
    const flat = path.join(app, 'many')
    await mkdir(flat)
    for (let i = 0; i < MAX_ENTRIES - 7; i++) writeFileSync(path.join(flat, `f${i}`), '')
    expect((await scanWebDir(app)).entries).toHaveLength(MAX_ENTRIES)
    await writeFile(path.join(flat, 'one-more'), '')
    await expect(scanWebDir(app)).rejects.toMatchObject(refusal('bundle_entries_too_many', /at most 65,534/))
  })

  it('refuses a file of 4,294,967,295 bytes or more at the scan, before any work; accepts one byte less', async () => {
    const app = await makeSmallApp(path.join(work, 'huge'))
    const big = path.join(app, 'big.bin')
    await writeFile(big, '')
    await truncate(big, MAX_FILE_SIZE) // sparse: no disk used
    expect((await scanWebDir(app)).entries.find((entry) => entry.name === 'big.bin')!.size).toBe(0xfffffffe)
    await truncate(big, 0xffffffff)
    await expect(scanWebDir(app)).rejects.toMatchObject(
      refusal('bundle_file_too_large', /'big\.bin' is 4\.00 GiB .*under 4 GiB/),
    )
    await truncate(big, 5 * 1024 ** 3)
    await expect(scanWebDir(app)).rejects.toMatchObject(refusal('bundle_file_too_large', /'big\.bin' is 5\.00 GiB/))
  })
})

describe('the bytes written are the bytes the headers describe', () => {
  it('fails with bundle_file_changed when a large stored file is rewritten in place (same size) while bundling', async () => {
    const size = 9 * 1024 * 1024
    const app = await writeTree(path.join(work, 'changing'), {
      'index.html': '<html></html>',
      'video.mp4': randomBytes(size),
    })
    const { stream, summary } = createZipStream(await scanWebDir(app), { workers: 0 })
    let rewritten = false
    const consume = pipeline(
      stream,
      async function* (source) {
        for await (const chunk of source) {
          if (!rewritten) {
            // The CRC pass is over (the header is out); change the tail before the writer reads it.
            rewritten = true
            const handle = await open(path.join(app, 'video.mp4'), 'r+')
            await handle.write(randomBytes(64 * 1024), 0, 64 * 1024, size - 64 * 1024)
            await handle.close()
          }
          yield chunk
        }
      },
      createWriteStream(path.join(work, 'changing.zip')),
    )
    await expect(consume).rejects.toMatchObject(
      refusal('bundle_file_changed', /'video\.mp4' changed while the bundle was being written/),
    )
    await expect(summary).rejects.toMatchObject({ code: 'bundle_file_changed' })
  })

  it('still writes a valid zip when nothing changes (the check does not cry wolf)', async () => {
    const app = await writeTree(path.join(work, 'steady'), {
      'index.html': '<html></html>',
      'video.mp4': randomBytes(9 * 1024 * 1024),
    })
    const { stream } = createZipStream(await scanWebDir(app), { workers: 0 })
    await pipeline(stream, createWriteStream(path.join(work, 'steady.zip')))
    expect(await unzipTest(path.join(work, 'steady.zip'))).toMatch(/No errors detected/)
  })
})

describe('names are read as bytes', () => {
  it('refuses a name that is not valid UTF-8, naming it, instead of a raw ENOENT', async () => {
    const app = await makeSmallApp(path.join(work, 'latin1'))
    await writeFile(Buffer.from(`${app}/bad\xff.js`, 'latin1'), 'one')
    await expect(scanWebDir(app)).rejects.toMatchObject(
      refusal('bundle_name_not_utf8', /'bad\\xff\.js'.*not valid UTF-8/),
    )
  })

  it('refuses it next to its U+FFFD look-alike instead of writing one file twice', async () => {
    const app = await makeSmallApp(path.join(work, 'twins'))
    await writeFile(Buffer.from(`${app}/bad\xff.js`, 'latin1'), 'one')
    await writeFile(path.join(app, 'bad\ufffd.js'), 'collide')
    await expect(scanWebDir(app)).rejects.toMatchObject(refusal('bundle_name_not_utf8', /bad\\xff\.js/))
  })
})

describe('names that are one name on a phone', () => {
  it('refuses two names that differ only in Unicode normalization (NFC/NFD), before any work, naming both', async () => {
    const app = await makeSmallApp(path.join(work, 'nfc-nfd'))
    await mkdir(path.join(app, 'caf\u00e9'))
    await writeFile(path.join(app, 'caf\u00e9', 'menu.js'), 'one')
    await mkdir(path.join(app, 'cafe\u0301'))
    await writeFile(path.join(app, 'cafe\u0301', 'menu.js'), 'two')
    await expect(scanWebDir(app)).rejects.toMatchObject(
      refusal('bundle_name_unicode_twin', /'caf\u00e9'.*'cafe\u0301'|'cafe\u0301'.*'caf\u00e9'/),
    )
  })

  it('accepts the same non-ASCII name once, in either form', async () => {
    const app = await makeSmallApp(path.join(work, 'nfd-only'), { 'cafe\u0301/menu.js': 'one', 'na\u00efve.js': 'two' })
    const scanned = await scanWebDir(app)
    expect(scanned.entries.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(['cafe\u0301/', 'cafe\u0301/menu.js', 'na\u00efve.js']),
    )
  })
})

describe('limits and file-system failures are specific errors naming the path', () => {
  it('refuses an entry path longer than phones extract (built from in-folder symlinks), not a RangeError', async () => {
    const app = await makeSmallApp(path.join(work, 'deep-links'))
    // Each folder links to the next: short real paths, entry names that grow by 200 bytes a level.
    const levels = 20
    for (let i = 0; i < levels; i++) await mkdir(path.join(app, `d${i}`))
    await writeFile(path.join(app, `d${levels - 1}`, 'leaf.txt'), 'x')
    for (let i = 0; i < levels - 1; i++)
      await symlink(path.join(app, `d${i + 1}`), path.join(app, `d${i}`, 'n'.repeat(200)))
    await expect(scanWebDir(app)).rejects.toMatchObject(refusal('bundle_name_too_long', /at most 3072 bytes/))
  })

  it('turns ENAMETOOLONG into bundle_path_too_long naming the path', async () => {
    // The web folder itself sits ~3,900 bytes deep, so a child's full path passes 4,096.
    const segment = 'p'.repeat(240)
    const script = `cd "$1" && for i in $(seq 16); do mkdir ${segment} && cd ${segment}; done && echo '<html></html>' > index.html && mkdir ${'q'.repeat(250)} && echo x > ${'q'.repeat(250)}/a.js && pwd -P`
    const web = execFileSync('bash', ['-c', script, 'bash', work], { encoding: 'utf8' }).trim()
    try {
      expect(Buffer.byteLength(web)).toBeGreaterThan(3840)
      await expect(scanWebDir(web)).rejects.toMatchObject(refusal('bundle_path_too_long', /ENAMETOOLONG.*4,096 bytes/))
    } finally {
      // GNU rm walks relative to each folder; a path-based removal would hit the same limit.
      execFileSync('rm', ['-rf', segment], { cwd: work })
    }
  })
})

describe('one "is inside" rule', () => {
  it('takes names that start with .. for what they are: inside', () => {
    expect(isInside('/w', '/w/..config.js')).toBe(true)
    expect(isInside('/w', '/w/..x.enc')).toBe(true)
    expect(isInside('/w', '/w')).toBe(true)
    expect(isInside('/w', '/w/a/../b')).toBe(true)
    expect(isInside('/w', '/w/../x')).toBe(false)
    expect(isInside('/w', '/wx')).toBe(false)
    expect(isInside('/w', '/')).toBe(false)
  })

  it('follows a symlink to an in-folder ..config.js instead of calling it an escape', async () => {
    const app = await makeSmallApp(path.join(work, 'dotdot'), { '..config.js': 'export default {}\n' })
    await symlink('..config.js', path.join(app, 'cfg.js'))
    const scanned = await scanWebDir(app)
    expect(scanned.entries.find((entry) => entry.name === 'cfg.js')).toMatchObject({
      file: path.join(scanned.root, '..config.js'),
    })
  })
})
