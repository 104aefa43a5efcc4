/**
 * The zip walk in its worker and on the calling thread (the fallback) give the same answers, fed
 * in awkward chunk sizes (headers split across chunks, one byte at a time).
 */
import { afterAll, describe, expect, it } from '@jest/globals'
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { startZipWalk } from '../../src/core/zip/walk-client.js'
import { spillFileIn } from '../../src/core/zip/stream-reader.js'
import { craftZip, type CraftedEntry } from '../support/crafted-zip.js'
import { removeDir, tempDir } from '../support/folders.js'

const work = await tempDir('live-update-zip-walk-')
afterAll(() => removeDir(work))

async function walk(zip: Buffer, inThread: boolean, chunk: number): Promise<number | string> {
  const spillDir = path.join(work, `spill-${inThread}-${chunk}-${zip.length}`)
  const walker = startZipWalk(spillDir, { inThread })
  for (let i = 0; i < zip.length; i += chunk) await walker.write(Buffer.from(zip.subarray(i, i + chunk)))
  try {
    return await walker.end()
  } catch (error) {
    return (error as Error).message
  } finally {
    walker.abort()
  }
}

const INDEX: CraftedEntry = { name: 'index.html', data: '<html>ok</html>' }
const zips: [string, Buffer, number | RegExp][] = [
  [
    'a good zip',
    craftZip([
      INDEX,
      { name: 'a/b.js', data: 'x'.repeat(5000) },
      { name: 'c.png', data: Buffer.alloc(300, 1), method: 0 },
    ]),
    3,
  ],
  ['data descriptors (spilled)', craftZip([INDEX, { name: 'd.js', data: 'd'.repeat(700), descriptor: true }]), 2],
  [
    'junk after a deflate stream',
    craftZip([INDEX, { name: 'j.js', data: 'j', trailingJunk: Buffer.from('JUNK') }]),
    /4 bytes after the end of its deflate stream/,
  ],
  ['a wrong CRC', craftZip([INDEX, { name: 'c.js', data: 'c', crcOverride: 1 }]), /'c\.js' fails its CRC-32 check/],
  ["a './' entry", craftZip([{ name: './', data: '', method: 0 }, INDEX]), /names the bundle folder itself/],
  ['a truncated zip', craftZip([INDEX]).subarray(0, 40), /ends inside entry 'index\.html'/],
]

describe('zip walk: worker and in-thread agree', () => {
  it.each(zips)('%s', async (_label, zip, expected) => {
    // A worker start costs ~50 ms (more on a busy machine): the worker gets the harder split only.
    for (const [inThread, chunk] of [
      [false, 1],
      [true, 1],
      [true, 64 * 1024],
    ] as const) {
      const result = await walk(zip, inThread, chunk)
      if (typeof expected === 'number') expect(result).toBe(expected)
      else expect(result).toMatch(expected)
    }
  })

  it('makes a spill folder only when an entry needs one', async () => {
    await walk(zips[0][1], false, 1)
    await walk(zips[1][1], false, 1)
    expect(await readdir(work)).not.toContain(`spill-false-1-${zips[0][1].length}`)
    expect(await readdir(work)).toContain(`spill-false-1-${zips[1][1].length}`) // the data-descriptor zip needed one
  })
})

describe('the spill file', () => {
  it('lives in a folder only this user can read (it holds decrypted bundle bytes)', async () => {
    const dir = path.join(await tempDir(), 'spill')
    const file = await spillFileIn(dir)()
    expect(path.dirname(file)).toBe(dir)
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    await removeDir(path.dirname(dir))
  })
})
