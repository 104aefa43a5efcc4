/**
 * Our verify against the Capacitor updater plugin's own Android code (CryptoCipher and the unzip
 * path of CapgoUpdater, compiled from the npm package and run in a JVM): every bundle the plugin
 * refuses, verify refuses; every bundle it installs, verify accepts, except the layouts
 * docs/verify.md lists as refused on purpose (iOS would install them differently, or not at all).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createBundle } from '../src/core/bundle.js'
import { createBundleEncryptor } from '../src/core/crypto.js'
import { createKeyPair, loadPrivateKey } from '../src/core/keys.js'
import type { SigningKey } from '../src/core/types.js'
import { verifyBundle, type VerifyReport } from '../src/core/verify.js'
import { craftZip, zipWithInfoZip, type CraftedEntry } from './support/crafted-zip.js'
import { removeDir, tempDir } from './support/folders.js'
import { compilePluginDevice, type DeviceCase, type DeviceResult, runPluginDevice } from './support/plugin-android.js'

const INDEX = '<!doctype html><html><body><script src="app.js"></script></body></html>\n'
const APP = 'CapacitorUpdater.notifyAppReady()\n'

/** both: the plugin and verify agree; ours: the plugin installs it, verify refuses it on purpose. */
type Expectation = 'accept' | 'refuse' | 'refused-on-purpose'

interface Case {
  name: string
  expect: Expectation
  /** What verify's message must say (refusals). */
  because?: RegExp
  make: () => Promise<Prepared>
}

interface Prepared {
  file: string
  sessionKey: string
  checksum: string
  publicKeyFile?: string
}

let work: string
let signing: SigningKey
let publicKeyFile: string
let otherPublicKeyFile: string
let count = 0
const plugin = new Map<string, DeviceResult>()
const ours = new Map<string, VerifyReport>()

async function encrypt(zip: Buffer): Promise<Prepared> {
  const encryptor = createBundleEncryptor(signing)
  const file = path.join(work, `case-${++count}.enc`)
  const { createWriteStream } = await import('node:fs')
  await pipeline(Readable.from([zip]), encryptor.transform, createWriteStream(file))
  const { sessionKey, checksum } = encryptor.result()
  return { file, sessionKey, checksum }
}

const crafted = (entries: CraftedEntry[], options?: Parameters<typeof craftZip>[1]) => () =>
  encrypt(craftZip(entries, options))
const withIndex = (...entries: CraftedEntry[]): CraftedEntry[] => [{ name: 'index.html', data: INDEX }, ...entries]
const nfc = 'caf\u00e9.js'
const nfd = 'cafe\u0301.js'

const cases: Case[] = [
  {
    name: 'our bundler (live-update bundle)',
    expect: 'accept',
    make: async () => {
      const web = path.join(work, 'web-ours')
      await mkdir(path.join(web, 'assets'), { recursive: true })
      await writeFile(path.join(web, 'index.html'), INDEX)
      await writeFile(path.join(web, 'app.js'), APP.repeat(500))
      await writeFile(path.join(web, 'assets', 'logo.png'), Buffer.alloc(70_000, 7))
      const out = path.join(work, 'ours.enc')
      const result = await createBundle({
        webDir: web,
        version: '1.0.0',
        signing,
        outFile: out,
        requireNotifyAppReady: true,
      })
      return { file: out, sessionKey: result.sessionKey, checksum: result.checksum }
    },
  },
  {
    name: 'Info-ZIP zip (folders, deflated)',
    expect: 'accept',
    make: async () =>
      encrypt(
        await readFile(
          await zipWithInfoZip(path.join(work, 'web-infozip'), path.join(work, 'infozip.zip'), {
            'index.html': INDEX,
            'app.js': APP,
            'a/b/c.css': 'body{}',
          }),
        ),
      ),
  },
  {
    name: 'deflated entries with data descriptors',
    expect: 'accept',
    make: crafted([
      { name: 'index.html', data: INDEX, descriptor: true },
      { name: 'js/app.js', data: APP.repeat(99), descriptor: true },
    ]),
  },
  {
    name: 'stored entries',
    expect: 'accept',
    make: crafted([
      { name: 'index.html', data: INDEX, method: 0 },
      { name: 'img/a.bin', data: Buffer.alloc(3000, 1), method: 0 },
    ]),
  },
  {
    name: "'./index.html' (Android canonicalizes the '.')",
    expect: 'accept',
    make: crafted([
      { name: './index.html', data: INDEX },
      { name: 'app.js', data: APP },
    ]),
  },
  {
    name: 'an empty file and a folder entry',
    expect: 'accept',
    make: crafted(withIndex({ name: 'empty.txt', data: '' }, { name: 'assets/', data: '', method: 0 })),
  },
  {
    name: 'a 255-byte name component',
    expect: 'accept',
    make: crafted(withIndex({ name: `${'a'.repeat(252)}.js`, data: APP })),
  },

  {
    name: "a './' folder entry",
    expect: 'refuse',
    because: /names the bundle folder itself/,
    make: crafted([{ name: './', data: '', method: 0 }, ...withIndex()]),
  },
  {
    name: 'a name that is not UTF-8, without the UTF-8 flag',
    expect: 'refuse',
    because: /not valid UTF-8/,
    make: crafted(withIndex({ name: 'bad', rawName: Buffer.from('bad\xff.js', 'latin1'), data: 'x', utf8Flag: false })),
  },
  {
    name: 'a name that is not UTF-8, with the UTF-8 flag',
    expect: 'refuse',
    because: /not valid UTF-8/,
    make: crafted(withIndex({ name: 'bad', rawName: Buffer.from('bad\xc3(.js', 'latin1'), data: 'x' })),
  },
  {
    name: 'bytes after the deflate stream',
    expect: 'refuse',
    because: /after the end of its deflate stream/,
    make: crafted(withIndex({ name: 'app.js', data: APP, trailingJunk: Buffer.from('JUNKJUNKJUNK') })),
  },
  {
    name: 'a STORED entry with a data descriptor',
    expect: 'refuse',
    because: /STORED with a data descriptor/,
    make: crafted(withIndex({ name: 'app.js', data: APP, method: 0, descriptor: true })),
  },
  {
    name: 'a backslash',
    expect: 'refuse',
    because: /backslash/,
    make: crafted(withIndex({ name: 'js\\app.js', data: APP })),
  },
  {
    name: "a '..' segment",
    expect: 'refuse',
    because: /'\.\.' segment/,
    make: crafted(withIndex({ name: 'js/../../evil.js', data: APP })),
  },
  {
    name: 'an absolute name',
    expect: 'refuse',
    because: /absolute/,
    make: crafted(withIndex({ name: '/etc/app.js', data: APP })),
  },
  {
    name: 'a wrong CRC-32',
    expect: 'refuse',
    because: /CRC-32/,
    make: crafted(withIndex({ name: 'app.js', data: APP, crcOverride: 0x12345678 })),
  },
  {
    name: 'a file, then a folder of the same name',
    expect: 'refuse',
    because: /also a folder/,
    make: crafted(withIndex({ name: 'lib', data: 'x' }, { name: 'lib/a.js', data: APP })),
  },
  {
    name: 'a folder, then a file of the same name',
    expect: 'refuse',
    because: /also a folder/,
    make: crafted(withIndex({ name: 'lib/a.js', data: APP }, { name: 'lib', data: 'x' })),
  },
  {
    name: 'a 256-byte name component',
    expect: 'refuse',
    because: /256 bytes/,
    make: crafted(withIndex({ name: `${'a'.repeat(253)}.js`, data: APP })),
  },
  {
    name: 'no index.html anywhere',
    expect: 'refuse',
    because: /no index\.html/,
    make: crafted([{ name: 'app.js', data: APP }]),
  },
  {
    name: 'a checksum signed for other content',
    expect: 'refuse',
    because: /signed checksum is for/,
    make: async () => {
      const [a, b] = [
        await encrypt(craftZip(withIndex({ name: 'a.js', data: 'a' }))),
        await encrypt(craftZip(withIndex({ name: 'b.js', data: 'b' }))),
      ]
      return { ...a, checksum: b.checksum }
    },
  },
  {
    name: 'another app key',
    expect: 'refuse',
    because: /does not decrypt with this public key/,
    make: async () => ({ ...(await encrypt(craftZip(withIndex()))), publicKeyFile: otherPublicKeyFile }),
  },

  {
    name: 'a symlink entry',
    expect: 'refused-on-purpose',
    because: /symbolic link/,
    make: crafted(withIndex({ name: 'link.js', data: 'index.html', unixMode: 0o120777 })),
  },
  {
    name: 'the same file twice',
    expect: 'refused-on-purpose',
    because: /appears twice/,
    make: crafted(withIndex({ name: 'app.js', data: 'one' }, { name: 'app.js', data: 'two' })),
  },
  {
    name: "'a/./b.js' and 'a/b.js'",
    expect: 'refused-on-purpose',
    because: /are the same file/,
    make: crafted(withIndex({ name: 'a/./b.js', data: 'one' }, { name: 'a/b.js', data: 'two' })),
  },
  {
    name: 'NFC and NFD twins',
    expect: 'refused-on-purpose',
    because: /Unicode normalization/,
    make: crafted(withIndex({ name: nfc, data: 'one' }, { name: nfd, data: 'two' })),
  },
  {
    name: 'a non-ASCII UTF-8 name without the UTF-8 flag',
    expect: 'refused-on-purpose',
    because: /CP437/,
    make: crafted(withIndex({ name: nfc, data: 'x', utf8Flag: false })),
  },
  {
    name: 'a wrapping folder (dist/index.html)',
    expect: 'refused-on-purpose',
    because: /zip the CONTENTS/,
    make: crafted([
      { name: 'dist/index.html', data: INDEX },
      { name: 'dist/app.js', data: APP },
    ]),
  },
  {
    name: 'a 3,073-byte name',
    expect: 'refused-on-purpose',
    because: /3073-byte name/,
    make: crafted(withIndex({ name: `${`${'d'.repeat(199)}/`.repeat(15)}${'x'.repeat(73)}`, data: 'x' })),
  },
  {
    name: 'bytes between the entries and the central directory',
    expect: 'refused-on-purpose',
    because: /unexpected bytes/,
    make: crafted(withIndex(), { gapBeforeCentral: Buffer.from('hidden') }),
  },
]

beforeAll(async () => {
  work = await tempDir('live-update-plugin-android-')
  const pair = createKeyPair()
  signing = loadPrivateKey(pair.privateKeyPem)
  publicKeyFile = path.join(work, 'key.pub')
  otherPublicKeyFile = path.join(work, 'other.pub')
  await writeFile(publicKeyFile, pair.publicKeyPem)
  await writeFile(otherPublicKeyFile, createKeyPair().publicKeyPem)
  const classes = compilePluginDevice(work)
  const deviceCases: DeviceCase[] = []
  for (const c of cases) {
    const prepared = await c.make()
    const keyFile = prepared.publicKeyFile ?? publicKeyFile
    deviceCases.push({
      name: c.name,
      encryptedFile: prepared.file,
      publicKeyFile: keyFile,
      sessionKey: prepared.sessionKey,
      checksum: prepared.checksum,
    })
    ours.set(
      c.name,
      await verifyBundle({
        source: prepared.file,
        sessionKey: prepared.sessionKey,
        checksum: prepared.checksum,
        publicKeyPem: await readFile(keyFile, 'utf8'),
      }),
    )
  }
  for (const [name, result] of await runPluginDevice(await classes, work, deviceCases)) plugin.set(name, result)
  if (process.env.PLUGIN_REPORT)
    for (const [name, result] of plugin)
      console.log(`${name}: ${result.accepted ? 'ACCEPT' : 'REJECT'} ${result.detail}`)
  // ~6 s on a quiet 2-core machine (javac ~4 s); generous for a busy one.
}, 240_000)

afterAll(async () => {
  await removeDir(work)
})

describe("verify agrees with the plugin's Android code", () => {
  it.each(cases.filter((c) => c.expect === 'accept').map((c) => [c.name]))('both install %s', (name) => {
    expect(plugin.get(name)).toMatchObject({ accepted: true })
    expect(ours.get(name)).toMatchObject({ ok: true })
  })

  it.each(cases.filter((c) => c.expect === 'refuse').map((c): [string, RegExp] => [c.name, c.because as RegExp]))(
    'both refuse %s',
    (name, because) => {
      expect(plugin.get(name)).toMatchObject({ accepted: false })
      const report = ours.get(name) as VerifyReport
      expect(report.ok).toBe(false)
      if (!report.ok) expect(report.message).toMatch(because)
    },
  )

  it.each(
    cases.filter((c) => c.expect === 'refused-on-purpose').map((c): [string, RegExp] => [c.name, c.because as RegExp]),
  )('the plugin installs %s, verify refuses it (docs/verify.md says why)', (name, because) => {
    expect(plugin.get(name)).toMatchObject({ accepted: true })
    const report = ours.get(name) as VerifyReport
    expect(report.ok).toBe(false)
    if (!report.ok) expect(report.message).toMatch(because)
  })

  it('installs our bundle with exactly the files that went in', () => {
    expect(plugin.get('our bundler (live-update bundle)')?.detail).toBe(
      `app.js:${APP.length * 500},assets/logo.png:70000,index.html:${INDEX.length}`,
    )
  })
})
