import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createBundleEncryptor, type RandomBytes } from '../src/core/crypto.js'
import { LiveUpdateError } from '../src/core/errors.js'
import { createKeyPair, loadPrivateKey } from '../src/core/keys.js'
import type { SigningKey } from '../src/core/types.js'
import { verifyBundle, verifyBundleOrThrow, type VerifyOptions } from '../src/core/verify.js'
import { capgo, capgoEncrypt, makeCapgoProject } from './support/capgo-cli.js'
import { craftZip, zipWithInfoZip } from './support/crafted-zip.js'
import { removeDir, tempDir } from './support/folders.js'
import { javaZipInputStream } from './support/peers.js'
import './support/verify-matchers.js'

const INDEX = '<!doctype html><html><body><script src="app.js"></script></body></html>\n'

let work: string
let signing: SigningKey
let publicKeyPem: string
let otherPublicKeyPem: string
/** An ordinary Info-ZIP zip (deflated, with directory entries) and its encrypted bundle. */
let good: Bundle
let server: Server
let baseUrl: string
const served = new Map<string, Buffer>()

interface Bundle {
  zip: Buffer
  file: string
  ciphertext: Buffer
  sessionKey: string
  checksum: string
  sha256: string
}

let bundleCount = 0
/** Encrypt and sign `zip` with our encryptor, writing the ciphertext to a file. */
async function encryptZip(zip: Buffer, random?: RandomBytes): Promise<Bundle> {
  const encryptor = createBundleEncryptor(signing, random)
  const out: Buffer[] = []
  await pipeline(Readable.from([zip]), encryptor.transform, async function* (source) {
    for await (const chunk of source) out.push(chunk as Buffer)
  })
  const ciphertext = Buffer.concat(out)
  const file = path.join(work, `bundle-${++bundleCount}.zip.enc`)
  await writeFile(file, ciphertext)
  const { sessionKey, checksum, sha256 } = encryptor.result()
  return { zip, file, ciphertext, sessionKey, checksum, sha256 }
}

function optionsFor(bundle: Bundle, overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return { source: bundle.file, sessionKey: bundle.sessionKey, checksum: bundle.checksum, publicKeyPem, ...overrides }
}

async function writeBytes(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(work, name)
  await writeFile(file, bytes)
  return file
}

function flipBase64Byte(text: string, index: number): string {
  const bytes = Buffer.from(text, 'base64')
  bytes[index] ^= 0x01
  return bytes.toString('base64')
}

beforeAll(async () => {
  work = await tempDir('live-update-verify-test-')
  const pair = createKeyPair()
  signing = loadPrivateKey(pair.privateKeyPem)
  publicKeyPem = pair.publicKeyPem
  otherPublicKeyPem = createKeyPair().publicKeyPem
  const zipFile = await zipWithInfoZip(path.join(work, 'web'), path.join(work, 'web.zip'), {
    'index.html': INDEX,
    'app.js': 'CapacitorUpdater.notifyAppReady()\n'.repeat(200),
    'assets/css/site.css': 'body { margin: 0 }\n'.repeat(100),
  })
  good = await encryptZip(await readFile(zipFile))
  server = createServer((request, response) => {
    if (request.url === '/stall.zip') {
      // Headers and a first chunk, then nothing: a dead connection.
      response.writeHead(200, { 'content-length': good.ciphertext.length })
      response.write(good.ciphertext.subarray(0, 32))
      return
    }
    const body = served.get(request.url ?? '')
    if (!body) {
      response.writeHead(404).end('not found')
      return
    }
    response.writeHead(200, { 'content-length': body.length }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  served.set('/good.zip', good.ciphertext)
})

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await removeDir(work)
})

describe('verifyBundle accepts a good bundle', () => {
  it('from a file, and leaves nothing in its temp folder', async () => {
    const scratch = path.join(work, 'scratch-ok')
    await mkdir(scratch)
    const report = await verifyBundle(optionsFor(good, { tempDir: scratch, expectedSize: good.ciphertext.length }))
    // Info-ZIP adds directory entries: index.html, app.js, assets/, assets/css/, assets/css/site.css.
    expect(report).toEqual({
      ok: true,
      sha256: createHash('sha256').update(good.zip).digest('hex'),
      entries: 5,
      encryptedSize: good.ciphertext.length,
    })
    expect(await readdir(scratch)).toEqual([])
  })

  it('from a stream', async () => {
    const chunks = [
      good.ciphertext.subarray(0, 1000),
      good.ciphertext.subarray(1000, 1001),
      good.ciphertext.subarray(1001),
    ]
    const report = await verifyBundle(optionsFor(good, { source: Readable.from(chunks) }))
    expect(report).toMatchObject({ ok: true, sha256: good.sha256 })
  })

  it("leaves a caller's stream's buffers as they were (only streams verify opened are freed as it goes)", async () => {
    const whole = Buffer.allocUnsafeSlow(good.ciphertext.length)
    good.ciphertext.copy(whole)
    const report = await verifyBundle(optionsFor(good, { source: Readable.from([whole]) }))
    expect(report).toMatchObject({ ok: true, sha256: good.sha256 })
    expect(whole.equals(good.ciphertext)).toBe(true)
  })

  it('from an http URL, through the injected fetch', async () => {
    const fetched: string[] = []
    const countingFetch: typeof fetch = (input, init) => {
      fetched.push(String(input))
      return fetch(input, init)
    }
    const report = await verifyBundle(optionsFor(good, { source: `${baseUrl}/good.zip`, fetch: countingFetch }))
    expect(report).toMatchObject({ ok: true, sha256: good.sha256, encryptedSize: good.ciphertext.length })
    expect(fetched).toEqual([`${baseUrl}/good.zip`])
  })

  it('a STORED Info-ZIP zip (zip -0)', async () => {
    const zipFile = await zipWithInfoZip(
      path.join(work, 'web-stored'),
      path.join(work, 'stored.zip'),
      { 'index.html': INDEX, 'a/b.txt': 'b', 'empty.txt': '' },
      { stored: true },
    )
    const report = await verifyBundle(optionsFor(await encryptZip(await readFile(zipFile))))
    expect(report).toMatchObject({ ok: true, entries: 4 })
  })

  it('a DEFLATED entry with a data descriptor (ZipInputStream reads those)', async () => {
    const zip = craftZip([
      { name: 'index.html', data: INDEX, descriptor: true },
      { name: 'js/app.js', data: 'x'.repeat(5000), descriptor: true },
    ])
    expect(await verifyBundle(optionsFor(await encryptZip(zip)))).toMatchObject({ ok: true, entries: 2 })
  })
})

describe('verifyBundle download failures', () => {
  it('reports the HTTP status of a non-2xx answer', async () => {
    const report = await verifyBundle(optionsFor(good, { source: `${baseUrl}/missing.zip?X-Amz-Signature=secret` }))
    expect(report).toBeRejectedAt('download', '404')
    expect(report).not.toBeRejectedAt('download', 'secret')
  })

  it('reports a missing file', async () => {
    const report = await verifyBundle(optionsFor(good, { source: path.join(work, 'nope.zip.enc') }))
    expect(report).toBeRejectedAt('download', 'ENOENT')
  })

  it('reports a size other than expected, also when the short file would fail to decrypt', async () => {
    const report = await verifyBundle(optionsFor(good, { expectedSize: good.ciphertext.length + 16 }))
    expect(report).toMatchObject({ ok: false, step: 'download' })
    const truncated = await writeBytes('truncated.enc', good.ciphertext.subarray(0, good.ciphertext.length - 3))
    const short = await verifyBundle(optionsFor(good, { source: truncated, expectedSize: good.ciphertext.length }))
    expect(short).toBeRejectedAt('download', `expected ${good.ciphertext.length}`)
  })

  it('gives up on a download that stalls, at the download step', async () => {
    const started = Date.now()
    const report = await verifyBundle(optionsFor(good, { source: `${baseUrl}/stall.zip`, idleTimeoutMs: 300 }))
    expect(report).toBeRejectedAt('download', 'no data for 0.3 s')
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('reports a stream that fails midway', async () => {
    const failing = new Readable({
      read() {
        this.push(good.ciphertext.subarray(0, 64))
        this.destroy(new Error('connection reset'))
      },
    })
    const report = await verifyBundle(optionsFor(good, { source: failing }))
    expect(report).toBeRejectedAt('download', 'connection reset')
  })
})

describe('verifyBundle tampering', () => {
  it('one flipped byte in the ciphertext fails at decrypt or checksum', async () => {
    for (const index of [0, Math.floor(good.ciphertext.length / 2), good.ciphertext.length - 1]) {
      const tampered = Buffer.from(good.ciphertext)
      tampered[index] ^= 0x01
      const report = await verifyBundle(
        optionsFor(good, { source: await writeBytes(`tampered-${index}.enc`, tampered) }),
      )
      expect(report.ok).toBe(false)
      if (!report.ok) expect(['decrypt', 'checksum']).toContain(report.step)
    }
  })

  it('a flipped byte in the middle fails at checksum; a truncated file at decrypt', async () => {
    const tampered = Buffer.from(good.ciphertext)
    tampered[100] ^= 0x80
    expect(await verifyBundle(optionsFor(good, { source: await writeBytes('mid.enc', tampered) }))).toMatchObject({
      ok: false,
      step: 'checksum',
    })
    const truncated = good.ciphertext.subarray(0, good.ciphertext.length - 5)
    expect(await verifyBundle(optionsFor(good, { source: await writeBytes('short.enc', truncated) }))).toMatchObject({
      ok: false,
      step: 'decrypt',
    })
  })

  it('a flipped byte in the IV part of the session key fails at checksum', async () => {
    const [iv, wrapped] = good.sessionKey.split(':')
    const report = await verifyBundle(optionsFor(good, { sessionKey: `${flipBase64Byte(iv, 3)}:${wrapped}` }))
    expect(report).toMatchObject({ ok: false, step: 'checksum' })
  })

  it('a flipped byte in the wrapped key fails at session-key', async () => {
    const [iv, wrapped] = good.sessionKey.split(':')
    for (const index of [0, 100, 255]) {
      const report = await verifyBundle(optionsFor(good, { sessionKey: `${iv}:${flipBase64Byte(wrapped, index)}` }))
      expect(report).toMatchObject({ ok: false, step: 'session-key' })
    }
  })

  it('a flipped byte in the checksum fails at checksum', async () => {
    for (const index of [0, 200, 511]) {
      const chars = good.checksum.split('')
      chars[index] = chars[index] === '0' ? '1' : '0'
      const report = await verifyBundle(optionsFor(good, { checksum: chars.join('') }))
      expect(report).toMatchObject({ ok: false, step: 'checksum' })
    }
  })

  it('a plain sha256 or legacy checksum fails at checksum', async () => {
    expect(await verifyBundle(optionsFor(good, { checksum: good.sha256 }))).toMatchObject({
      ok: false,
      step: 'checksum',
    })
  })

  it('the wrong public key fails at session-key', async () => {
    const report = await verifyBundle(optionsFor(good, { publicKeyPem: otherPublicKeyPem }))
    expect(report).toMatchObject({ ok: false, step: 'session-key' })
  })

  it('a malformed session key fails at session-key', async () => {
    for (const sessionKey of [
      '',
      good.sessionKey.replace(':', ''),
      `${good.sessionKey}:extra`,
      `AAAA:${good.sessionKey.split(':')[1]}`,
    ]) {
      expect(await verifyBundle(optionsFor(good, { sessionKey }))).toMatchObject({ ok: false, step: 'session-key' })
    }
  })
})

describe('verifyBundle zip layout', () => {
  async function verifyCrafted(zip: Buffer) {
    return verifyBundle(optionsFor(await encryptZip(zip)))
  }

  it('requires index.html at the root, not only in a subfolder', async () => {
    const report = await verifyCrafted(
      craftZip([
        { name: 'dist/index.html', data: INDEX },
        { name: 'dist/app.js', data: 'x' },
      ]),
    )
    expect(report).toBeRejectedAt('zip', /no index\.html at the zip root.*dist\/index\.html/)
  })

  it('rejects an entry with a .. segment', async () => {
    const report = await verifyCrafted(
      craftZip([
        { name: 'index.html', data: INDEX },
        { name: 'assets/../../evil.js', data: 'x' },
      ]),
    )
    expect(report).toBeRejectedAt('zip', "'..'")
  })

  it('rejects an entry with a backslash', async () => {
    const report = await verifyCrafted(
      craftZip([
        { name: 'index.html', data: INDEX },
        { name: 'assets\\app.js', data: 'x' },
      ]),
    )
    expect(report).toBeRejectedAt('zip', 'backslash')
  })

  it('rejects an absolute entry name', async () => {
    const report = await verifyCrafted(
      craftZip([
        { name: 'index.html', data: INDEX },
        { name: '/etc/app.js', data: 'x' },
      ]),
    )
    expect(report).toBeRejectedAt('zip', 'absolute')
  })

  it('rejects a STORED entry with a data descriptor, as Java ZipInputStream does', async () => {
    const storedWithDescriptor = craftZip([{ name: 'index.html', data: INDEX, method: 0, descriptor: true }])
    const deflatedWithDescriptor = craftZip([{ name: 'index.html', data: INDEX, method: 8, descriptor: true }])
    const report = await verifyCrafted(storedWithDescriptor)
    expect(report).toBeRejectedAt('zip', /STORED with a data descriptor/)
    expect(await verifyCrafted(deflatedWithDescriptor)).toMatchObject({ ok: true })
    // The independent peer agrees on both crafted files.
    const [javaStored, javaDeflated] = await Promise.allSettled([
      javaZipInputStream(await writeBytes('stored-dd.zip', storedWithDescriptor)),
      javaZipInputStream(await writeBytes('deflated-dd.zip', deflatedWithDescriptor)),
    ])
    expect(javaStored.status).toBe('rejected')
    expect(javaDeflated.status).toBe('fulfilled')
  })

  it('rejects an entry whose data does not match its CRC-32', async () => {
    const zip = craftZip([{ name: 'index.html', data: INDEX, method: 0 }])
    zip[30 + 'index.html'.length + 5] ^= 0x01 // a byte of the stored data
    const report = await verifyCrafted(zip)
    expect(report).toBeRejectedAt('zip', 'CRC-32')
  })

  it('checks big entries (streamed, not read whole) too: good passes, a wrong CRC fails', async () => {
    const big = Buffer.from('const value = 42;\n'.repeat(300_000)) // 5.4 MB, above the in-memory limit
    const entries = [
      { name: 'index.html', data: INDEX },
      { name: 'big.js', data: big },
    ]
    expect(await verifyCrafted(craftZip(entries))).toMatchObject({ ok: true, entries: 2 })
    const report = await verifyCrafted(craftZip([entries[0], { ...entries[1], crcOverride: 0x12345678 }]))
    expect(report).toBeRejectedAt('zip', /big\.js' fails its CRC-32 check/)
  })

  it('rejects bytes that are not a zip, and a ZIP64 end record', async () => {
    expect(await verifyCrafted(Buffer.from('<html>not a zip</html>'))).toMatchObject({ ok: false, step: 'zip' })
    const zip = craftZip([{ name: 'index.html', data: INDEX }])
    // A ZIP64 end-of-central-directory locator just before the end record.
    const locator = Buffer.alloc(20)
    locator.writeUInt32LE(0x07064b50, 0)
    const report = await verifyCrafted(
      Buffer.concat([zip.subarray(0, zip.length - 22), locator, zip.subarray(zip.length - 22)]),
    )
    expect(report).toBeRejectedAt('zip', 'ZIP64')
  })

  it('rejects bytes after a deflate stream (D5), as Java ZipInputStream does; small and streamed entries', async () => {
    const small = craftZip([{ name: 'index.html', data: INDEX, trailingJunk: Buffer.from('JUNKJUNKJUNK') }])
    expect(await verifyCrafted(small)).toBeRejectedAt(
      'zip',
      "entry 'index.html' has 12 bytes after the end of its deflate stream",
    )
    await expect(javaZipInputStream(await writeBytes('junk.zip', small))).rejects.toThrow(
      /invalid entry compressed size/,
    )
    const big = Buffer.from('const value = 42;\n'.repeat(300_000)) // 5.4 MB: the streaming inflater
    const streamed = craftZip([
      { name: 'index.html', data: INDEX },
      { name: 'big.js', data: big, trailingJunk: Buffer.alloc(100, 1) },
    ])
    expect(await verifyCrafted(streamed)).toBeRejectedAt(
      'zip',
      "entry 'big.js' has 100 bytes after the end of its deflate stream",
    )
  })

  it('walks a data-descriptor entry after ordinary ones (spilled to disk), and cleans up', async () => {
    const scratch = path.join(work, 'scratch-spill')
    await mkdir(scratch)
    const entries = [
      { name: 'index.html', data: INDEX },
      { name: 'a.js', data: 'a'.repeat(3000), descriptor: true },
      { name: 'b.js', data: 'b', method: 0 as const },
    ]
    expect(await verifyBundle(optionsFor(await encryptZip(craftZip(entries)), { tempDir: scratch }))).toMatchObject({
      ok: true,
      entries: 3,
    })
    const bad = craftZip([entries[0], { ...entries[1], crcOverride: 0x1234 }, entries[2]])
    expect(await verifyBundle(optionsFor(await encryptZip(bad), { tempDir: scratch }))).toBeRejectedAt(
      'zip',
      "entry 'a.js'",
    )
    expect(await readdir(scratch)).toEqual([])
  })

  it('reads exactly 65,535 entries without a ZIP64 record as 65,535 entries (D6), as Java does', async () => {
    const entries = [{ name: 'index.html', data: INDEX, method: 0 as const }]
    for (let i = 1; i < 0xffff; i++) entries.push({ name: `f${i}`, data: '', method: 0 })
    const zip = craftZip(entries)
    expect(await verifyCrafted(zip)).toMatchObject({ ok: true, entries: 0xffff })
    const java = await javaZipInputStream(await writeBytes('65535.zip', zip))
    expect(java.entries).toHaveLength(0xffff)
  }, 180_000)

  it('cleans its temp folder after a failure too', async () => {
    const scratch = path.join(work, 'scratch-fail')
    await mkdir(scratch)
    const bundle = await encryptZip(craftZip([{ name: 'sub/index.html', data: INDEX }]))
    expect(await verifyBundle(optionsFor(bundle, { tempDir: scratch }))).toMatchObject({ ok: false, step: 'zip' })
    expect(await readdir(scratch)).toEqual([])
  })
})

describe('verifyBundleOrThrow', () => {
  it('throws LiveUpdateError(stage verify) naming the step', async () => {
    const error = await verifyBundleOrThrow(optionsFor(good, { publicKeyPem: otherPublicKeyPem })).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(LiveUpdateError)
    expect(error).toMatchObject({ stage: 'verify', step: 'session-key', code: 'verify_session_key_rejected' })
    expect((error as Error).message).toContain('session-key step')
    await expect(verifyBundleOrThrow(optionsFor(good))).resolves.toMatchObject({ sha256: good.sha256 })
  })
})

describe('Capgo CLI interop', () => {
  it('accepts a bundle encrypted by `capgo bundle encrypt` with a key from `capgo key create`', async () => {
    const project = await makeCapgoProject(path.join(work, 'capgo-project'))
    await capgo(project, ['key', 'create'])
    const capgoPrivate = await readFile(path.join(project, '.capgo_key_v2'), 'utf8')
    const capgoPublic = await readFile(path.join(project, '.capgo_key_v2.pub'), 'utf8')
    // Our key loader derives exactly Capgo's public key file from its private key.
    expect(loadPrivateKey(capgoPrivate).publicKeyPem).toBe(capgoPublic)

    const zipFile = path.join(project, 'app.zip')
    await writeFile(zipFile, good.zip)
    const encrypted = await capgoEncrypt(project, zipFile, good.sha256, path.join(project, '.capgo_key_v2'))
    expect(encrypted.checksum).toMatch(/^[0-9a-f]{512}$/)

    const report = await verifyBundle({
      source: encrypted.encryptedFile,
      sessionKey: encrypted.ivSessionKey,
      checksum: encrypted.checksum,
      publicKeyPem: capgoPublic,
    })
    expect(report).toMatchObject({ ok: true, sha256: good.sha256, entries: 5 })
    // And the same Capgo bundle checked against our (wrong) key is refused.
    expect(
      await verifyBundle({
        source: encrypted.encryptedFile,
        sessionKey: encrypted.ivSessionKey,
        checksum: encrypted.checksum,
        publicKeyPem,
      }),
    ).toMatchObject({ ok: false, step: 'session-key' })
  })
})
