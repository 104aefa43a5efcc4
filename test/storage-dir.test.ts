import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { LiveUpdateError } from '../src/core/errors.js'
import { createStore } from '../src/core/storage/index.js'
import type { BundleBody } from '../src/core/types.js'

let root: string

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lu-dir-store-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

function bufferBody(bytes: Buffer): BundleBody {
  return { size: bytes.length, open: () => Readable.from([bytes]) }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort()
}

describe('dir store', () => {
  it('stores a bundle at <dir>/<key> with a file:// URL, and reports size/exists/delete', async () => {
    const dir = path.join(root, 'plain')
    const store = createStore({ kind: 'dir', dir })
    const bytes = randomBytes(300_000)
    const source = path.join(root, 'bundle.bin')
    await writeFile(source, bytes)
    const stored = await store.put('com.example.app/1.0.0/0123456789abcdef.zip', {
      size: bytes.length,
      open: () => createReadStream(source),
    })
    const file = path.join(dir, 'com.example.app', '1.0.0', '0123456789abcdef.zip')
    expect(stored).toEqual({
      key: 'com.example.app/1.0.0/0123456789abcdef.zip',
      url: pathToFileURL(file).href,
      size: bytes.length,
    })
    expect(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    ).toBe(createHash('sha256').update(bytes).digest('hex'))
    expect(await store.exists(stored.key)).toBe(true)
    expect(await store.size(stored.key)).toBe(bytes.length)
    expect(await store.exists('com.example.app/2.0.0/x.zip')).toBe(false)
    expect(await store.size('com.example.app/2.0.0/x.zip')).toBeUndefined()
    expect(store.describe()).toBe(`dir ${dir}`)
    // nothing but the bundle: no temp files left behind
    expect(await filesUnder(dir)).toEqual([path.join('com.example.app', '1.0.0', '0123456789abcdef.zip')])
    await store.delete(stored.key)
    expect(await store.exists(stored.key)).toBe(false)
    await expect(store.delete(stored.key)).resolves.toBeUndefined()
  })

  it('uses the public URL template, encoding the key per segment', () => {
    const store = createStore({
      kind: 'dir',
      dir: path.join(root, 'tpl'),
      publicUrlTemplate: 'http://localhost:8000/bundles/{key}',
    })
    expect(store.publicUrl('app/1.0 beta/h.zip')).toBe('http://localhost:8000/bundles/app/1.0%20beta/h.zip')
    // A bad template is refused in config, before any store exists (test/config.test.ts).
  })

  it('never overwrites: a second put to the same key fails and the first file is intact', async () => {
    const dir = path.join(root, 'no-overwrite')
    const store = createStore({ kind: 'dir', dir })
    const first = randomBytes(1000)
    await store.put('app/1.0.0/a.zip', bufferBody(first))
    const error = await store.put('app/1.0.0/a.zip', bufferBody(randomBytes(2000))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LiveUpdateError)
    expect((error as LiveUpdateError).code).toBe('storage_object_exists')
    expect((error as LiveUpdateError).stage).toBe('upload')
    expect((await readFile(path.join(dir, 'app/1.0.0/a.zip'))).equals(first)).toBe(true)
    expect(await filesUnder(dir)).toEqual([path.join('app', '1.0.0', 'a.zip')])
  })

  it("two concurrent puts to one key: exactly one wins, the file is the winner's", async () => {
    const dir = path.join(root, 'race')
    const store = createStore({ kind: 'dir', dir })
    const a = randomBytes(500_000)
    const b = randomBytes(500_000)
    const results = await Promise.allSettled([
      store.put('k/1/x.zip', bufferBody(a)),
      store.put('k/1/x.zip', bufferBody(b)),
    ])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
    expect((rejected.reason as LiveUpdateError).code).toBe('storage_object_exists')
    const winner = results[0].status === 'fulfilled' ? a : b
    expect((await readFile(path.join(dir, 'k/1/x.zip'))).equals(winner)).toBe(true)
    expect(await filesUnder(dir)).toEqual([path.join('k', '1', 'x.zip')])
  })

  it('a failing body leaves nothing behind and names the cause', async () => {
    const dir = path.join(root, 'failing')
    const store = createStore({ kind: 'dir', dir })
    const failing: BundleBody = {
      size: 3 * 65536,
      open: () =>
        Readable.from(
          (async function* () {
            yield randomBytes(65536)
            yield randomBytes(65536)
            throw new Error('disk went away')
          })(),
        ),
    }
    const error = (await store.put('app/2.0.0/b.zip', failing).catch((e: unknown) => e)) as LiveUpdateError
    expect(error.code).toBe('storage_write_failed')
    expect(error.message).toContain('disk went away')
    expect(await store.exists('app/2.0.0/b.zip')).toBe(false)
    expect(await filesUnder(dir)).toEqual([])
  })

  it('a body shorter than announced is refused and leaves nothing', async () => {
    const dir = path.join(root, 'short')
    const store = createStore({ kind: 'dir', dir })
    const error = (await store
      .put('app/3.0.0/c.zip', { size: 10, open: () => Readable.from([Buffer.alloc(5)]) })
      .catch((e: unknown) => e)) as LiveUpdateError
    expect(error.code).toBe('storage_size_mismatch')
    expect(await filesUnder(dir)).toEqual([])
  })

  it('refuses invalid keys (no escaping the folder)', async () => {
    const store = createStore({ kind: 'dir', dir: path.join(root, 'keys') })
    for (const key of ['../outside.zip', '/abs.zip', 'a/../../b.zip', 'a//b.zip']) {
      const error = (await store.put(key, bufferBody(Buffer.from('x'))).catch((e: unknown) => e)) as LiveUpdateError
      expect(error).toBeInstanceOf(LiveUpdateError)
      expect(error.input).toBe('object-key')
    }
    expect(await readdir(root)).not.toContain('outside.zip')
  })
})
