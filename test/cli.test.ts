/**
 * The bundled CLI (dist/cli.js, rebuilt by `npm run bundle`) driven as a user drives it: whole
 * processes, real files, and independent peers (the Capgo CLI, OpenSSL, Info-ZIP, Java) to check
 * what it writes and to make what it reads.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmod, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { BundleResult } from '../src/core/types.js'
import { capgo, capgoDecrypt, capgoEncrypt, lastJsonObject, makeCapgoProject } from './support/capgo-cli.js'
import { makeSmallApp, removeDir, tempDir, writeTree } from './support/folders.js'
import { openssl, opensslPkcs1PublicModulus, opensslPrivateModulus } from './support/openssl.js'
import { javaZipInputStream, unzipTest } from './support/peers.js'
import { opensslDecryptBundle, pemBodyLines, runCli, type CliRun } from './support/run-cli.js'

const PKCS1_PUBLIC =
  /^-----BEGIN RSA PUBLIC KEY-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END RSA PUBLIC KEY-----\n$/
const PKCS1_PRIVATE =
  /^-----BEGIN RSA PRIVATE KEY-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END RSA PRIVATE KEY-----\n$/
const NOTIFY_JS = "import { CapacitorUpdater } from '@capgo/capacitor-updater'\nCapacitorUpdater.notifyAppReady()\n"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
const keyIdOfFile = (pem: string) =>
  pem
    .replace(/-----[A-Z ]+-----/g, '')
    .replace(/\s+/g, '')
    .slice(0, 20)

type BundleJson = BundleResult & { out: string }

let work: string
/** Made by our `key create` in beforeAll. */
let ourKey: string
let ourPub: string
/** Same key as ourKey, public half in SPKI form (`BEGIN PUBLIC KEY`). */
let ourSpki: string
/** An unrelated OpenSSL key: PKCS#8 private (`BEGIN PRIVATE KEY`, OpenSSL 3's default), PKCS#1 public. */
let otherKey: string
let otherPub: string
let key4096: string
let encryptedKey: string
/** Every PEM file the suite uses: none of their lines may ever be printed. */
let allKeyFiles: string[]
let smallApp: string
let capgoProject: string
/** The small app bundled once with ourKey. */
let small: BundleJson

let outCount = 0
/** A fresh, empty folder for one --out file, so leftovers are easy to see. */
async function freshOutDir(): Promise<string> {
  const dir = path.join(work, 'out', `run-${++outCount}`)
  await mkdir(dir, { recursive: true })
  return dir
}

async function bundle(webDir: string, out: string, extra: string[] = [], privateKey = ourKey): Promise<BundleJson> {
  const run = await runCli(
    ['bundle', webDir, '--private-key', privateKey, '--version', '1.0.0', '--out', out, '--json', ...extra],
    { cwd: work },
  )
  expect(run).toMatchObject({ code: 0, stderr: '' })
  return JSON.parse(run.stdout) as BundleJson
}

/** No output, and no body line of any key the suite knows, in either stream. */
async function expectNoKeyMaterial(run: CliRun): Promise<void> {
  for (const file of allKeyFiles) {
    for (const line of pemBodyLines(await readFile(file, 'utf8'))) {
      expect(run.stderr).not.toContain(line)
      expect(run.stdout).not.toContain(line)
    }
  }
}

/** Exactly one stderr line `live-update: error [code]: message`; returns the message. */
function expectOneErrorLine(run: CliRun, code: string): string {
  const lines = run.stderr.split('\n').filter((line) => line !== '')
  expect(lines).toHaveLength(1)
  const match = /^live-update: error \[([a-z0-9_]+)\]: (.+)$/.exec(lines[0])
  expect(match?.[1]).toBe(code)
  return match?.[2] ?? ''
}

beforeAll(async () => {
  work = await tempDir('live-update-cli-test-')
  const keys = path.join(work, 'keys')
  const created = await runCli(['key', 'create', '--dir', keys], { cwd: work })
  expect(created.code).toBe(0)
  ourKey = path.join(keys, '.capgo_key_v2')
  ourPub = path.join(keys, '.capgo_key_v2.pub')
  ourSpki = path.join(keys, 'our.spki.pem')
  otherPub = path.join(keys, 'other.pub')
  key4096 = path.join(keys, 'rsa4096.pem')
  encryptedKey = path.join(keys, 'encrypted.pem')
  otherKey = path.join(keys, 'other.pem')
  await Promise.all([
    openssl(['rsa', '-in', ourKey, '-pubout', '-out', ourSpki]),
    openssl(['genrsa', '-out', otherKey, '2048']).then(() =>
      openssl(['rsa', '-in', otherKey, '-RSAPublicKey_out', '-out', otherPub]),
    ),
    openssl(['genrsa', '-out', key4096, '4096']),
    openssl(['genrsa', '-aes256', '-passout', 'pass:x', '-out', encryptedKey, '2048']),
  ])
  allKeyFiles = [ourKey, ourPub, ourSpki, otherKey, otherPub, key4096, encryptedKey]
  smallApp = await makeSmallApp(path.join(work, 'small-app'))
  capgoProject = await makeCapgoProject(path.join(work, 'capgo-project'))
  small = await bundle(smallApp, path.join(await freshOutDir(), 'small.zip.enc'))
})

afterAll(async () => {
  await removeDir(work)
})

describe('live-update key create', () => {
  it("writes Capgo's key files: PKCS#1 PEMs that OpenSSL reads as one RSA-2048 pair, private one owner-only", async () => {
    const dir = path.join(work, 'key-format')
    const run = await runCli(['key', 'create', '--dir', dir], { cwd: work })
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(run.stdout).toContain(path.join(dir, '.capgo_key_v2'))
    const privateFile = path.join(dir, '.capgo_key_v2')
    const publicFile = path.join(dir, '.capgo_key_v2.pub')
    expect((await readdir(dir)).sort()).toEqual(['.capgo_key_v2', '.capgo_key_v2.pub', '.gitignore'])
    // A `git add -A` right after must not stage the private key: it is ignored, and the next step is shown.
    expect(await readFile(path.join(dir, '.gitignore'), 'utf8')).toMatch(/^\.capgo_key_v2$/m)
    expect(await readFile(privateFile, 'utf8')).toMatch(PKCS1_PRIVATE)
    const publicPem = await readFile(publicFile, 'utf8')
    expect(publicPem).toMatch(PKCS1_PUBLIC)
    expect(publicPem).not.toContain('\r')
    expect(keyIdOfFile(publicPem)).toMatch(/^MIIBCgKCAQEA/)
    const modulus = await opensslPkcs1PublicModulus(publicFile)
    expect(modulus).toBe(await opensslPrivateModulus(privateFile))
    expect(modulus.replace(/^Modulus=/, '')).toHaveLength(512)
    expect((await stat(privateFile)).mode & 0o077).toBe(0)
    await expectNoKeyMaterial({ ...run, stdout: run.stdout })
  })

  it('refuses to replace an existing key without --force (files unchanged), and replaces it with --force', async () => {
    const dir = path.join(work, 'key-force')
    expect((await runCli(['key', 'create', '--dir', dir], { cwd: work })).code).toBe(0)
    const privateFile = path.join(dir, '.capgo_key_v2')
    const publicFile = path.join(dir, '.capgo_key_v2.pub')
    const before = [await readFile(privateFile), await readFile(publicFile)]

    const refused = await runCli(['key', 'create', '--dir', dir], { cwd: work })
    expect(refused.code).toBe(3)
    expect(refused.stdout).toBe('')
    expect(expectOneErrorLine(refused, 'input_key_file_exists')).toMatch(/already exists.*--force/)
    expect(await readFile(privateFile)).toEqual(before[0])
    expect(await readFile(publicFile)).toEqual(before[1])

    // A key file someone loosened must not stay world-readable after --force replaces it.
    await chmod(privateFile, 0o644)
    const forced = await runCli(['key', 'create', '--dir', dir, '--force'], { cwd: work })
    expect(forced).toMatchObject({ code: 0, stderr: '' })
    expect((await stat(privateFile)).mode & 0o777).toBe(0o600)
    const after = [await readFile(privateFile), await readFile(publicFile)]
    expect(after[0].equals(before[0])).toBe(false)
    expect(after[1].equals(before[1])).toBe(false)
    expect(await opensslPkcs1PublicModulus(publicFile)).toBe(await opensslPrivateModulus(privateFile))
  })

  it('--config puts the public key, byte-identical to the .pub file, into capacitor.config.json and keeps the rest', async () => {
    const project = path.join(work, 'key-config')
    const original = {
      appId: 'com.example.app',
      appName: 'Example',
      webDir: 'dist',
      server: { androidScheme: 'https' },
      plugins: {
        SplashScreen: { launchShowDuration: 0 },
        CapacitorUpdater: { autoUpdate: true, appReadyTimeout: 10000 },
      },
    }
    await writeTree(project, { 'capacitor.config.json': JSON.stringify(original, null, 2) })
    const run = await runCli(['key', 'create', '--config', 'capacitor.config.json'], { cwd: project })
    expect(run).toMatchObject({ code: 0, stderr: '' })
    const publicPem = await readFile(path.join(project, '.capgo_key_v2.pub'), 'utf8')
    const configText = await readFile(path.join(project, 'capacitor.config.json'), 'utf8')
    const config = JSON.parse(configText) as typeof original & { plugins: { CapacitorUpdater: { publicKey: string } } }
    expect(config.plugins.CapacitorUpdater.publicKey).toBe(publicPem)
    expect(config).toEqual({
      ...original,
      plugins: {
        ...original.plugins,
        CapacitorUpdater: { ...original.plugins.CapacitorUpdater, publicKey: publicPem },
      },
    })
    expect(configText).not.toContain('PRIVATE')
  })

  it('a --config that is missing or not JSON fails before any key is written', async () => {
    const project = await writeTree(path.join(work, 'key-bad-config'), { 'broken.json': '{ "appId": ' })
    const missing = await runCli(['key', 'create', '--config', 'capacitor.config.json'], { cwd: project })
    expect(missing.code).toBe(3)
    expect(missing.stdout).toBe('')
    expect(expectOneErrorLine(missing, 'input_capacitor_config_missing')).toContain(
      path.join(project, 'capacitor.config.json'),
    )
    const broken = await runCli(['key', 'create', '--config', 'broken.json'], { cwd: project })
    expect(broken.code).toBe(3)
    expect(expectOneErrorLine(broken, 'input_capacitor_config_invalid')).toContain('broken.json')
    // Nothing written: a retry with the right path needs no --force.
    expect(await readdir(project)).toEqual(['broken.json'])
    expect(await readFile(path.join(project, 'broken.json'), 'utf8')).toBe('{ "appId": ')
  })
})

describe('live-update bundle, checked by independent peers', () => {
  it('prints the documented JSON and writes exactly encryptedSize bytes, with nothing else in the folder', async () => {
    expect(small).toMatchObject({ version: '1.0.0', fileCount: 4 })
    expect(small.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(small.checksum).toMatch(/^[0-9a-f]{512}$/)
    expect(small.sessionKey).toHaveLength(369)
    expect(small.sessionKey).toMatch(/^[A-Za-z0-9+/]{22}==:[A-Za-z0-9+/=]{344}$/)
    expect(small.keyId).toBe(keyIdOfFile(await readFile(ourPub, 'utf8')))
    expect(small.zipSize).toBeGreaterThan(3000)
    expect(small.encryptedSize).toBe(16 * Math.floor(small.zipSize / 16) + 16)
    const bytes = await readFile(small.out)
    expect(bytes.length).toBe(small.encryptedSize)
    expect(sha256(bytes)).toBe(small.encryptedSha256)
    expect(await readdir(path.dirname(small.out))).toEqual([path.basename(small.out)])
  })

  it('finishes its work and exits 0 when the reader of its output has gone (`| head -c 0`), without a stack trace', async () => {
    const out = path.join(await freshOutDir(), 'closed-reader.zip.enc')
    const script = `"${process.execPath}" "${path.join(repoRoot, 'dist', 'cli.js')}" bundle "${smallApp}" --private-key "${ourKey}" --version 1.0.0 --out "${out}" --json | head -c 0; echo "status \${PIPESTATUS[0]}" >&2`
    const run = spawnSync('bash', ['-c', script], { encoding: 'utf8' })
    expect(run.stderr).not.toMatch(/EPIPE|Unhandled|at /)
    expect(run.stderr.trim()).toBe('status 0')
    expect((await stat(out)).size).toBe(small.encryptedSize)
  })

  it('the human-readable output carries the same values', async () => {
    const out = path.join(await freshOutDir(), 'human.zip.enc')
    const run = await runCli(['bundle', smallApp, '--private-key', ourKey, '--version', '2.0.0-beta.1', '--out', out], {
      cwd: work,
    })
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(run.stdout).toContain(`sha256:      ${small.sha256}`)
    expect(run.stdout).toContain(`checksum:    ${small.checksum}`)
    expect(run.stdout).toMatch(/^Bundle 2\.0\.0-beta\.1: 4 files/)
    await expectNoKeyMaterial(run)
  })

  it('Capgo `bundle decrypt --checksum` says "Checksum matches"; the zip passes Info-ZIP and Java', async () => {
    const output = await capgoDecrypt(capgoProject, small.out, small.sessionKey, small.checksum, ourPub)
    expect(output).toContain('Checksum matches')
    expect(output).toMatch(/Decrypting checksum with V3/)
    const decrypted = await readFile(`${small.out}_decrypted.zip`)
    expect(decrypted.length).toBe(small.zipSize)
    expect(sha256(decrypted)).toBe(small.sha256)
    expect(await unzipTest(`${small.out}_decrypted.zip`)).toMatch(/No errors detected/)
    const java = await javaZipInputStream(`${small.out}_decrypted.zip`)
    // Every file, once (the zip mixes stored and deflated files: write-order.ts).
    expect(
      java.entries
        .map((entry) => entry.name)
        .filter((name) => !name.endsWith('/'))
        .sort(),
    ).toEqual(['app.js', 'css/site.css', 'img/logo.png', 'index.html'])
  })

  it('Capgo refuses the same bundle with a tampered checksum (the peer can fail)', async () => {
    const tampered =
      small.checksum.slice(0, 100) + (small.checksum[100] === '0' ? '1' : '0') + small.checksum.slice(101)
    await expect(capgoDecrypt(capgoProject, small.out, small.sessionKey, tampered, ourPub)).rejects.toThrow()
  })

  it('the same folder bundled twice: same sha256 and checksum, fresh session key and ciphertext, identical plaintext (OpenSSL)', async () => {
    const dir = await freshOutDir()
    const a = await bundle(smallApp, path.join(dir, 'a.enc'))
    const b = await bundle(smallApp, path.join(dir, 'b.enc'))
    expect(a.sha256).toBe(b.sha256)
    expect(a.checksum).toBe(b.checksum)
    expect(a.sha256).toBe(small.sha256)
    expect(a.sessionKey).not.toBe(b.sessionKey)
    const [cipherA, cipherB] = [await readFile(a.out), await readFile(b.out)]
    expect(cipherA.equals(cipherB)).toBe(false)
    const plainA = await opensslDecryptBundle(dir, a.out, a.sessionKey, ourPub)
    const plainB = await opensslDecryptBundle(dir, b.out, b.sessionKey, ourPub)
    expect(plainA.equals(plainB)).toBe(true)
    expect(sha256(plainA)).toBe(a.sha256)
    expect(plainA.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]))
  })
})

describe('a 32 MB app with 3,000 files', () => {
  let made: { files: number; bytes: number }
  let big: BundleJson
  let decryptedFile: string
  let capgoOutput: string

  beforeAll(async () => {
    const dir = path.join(work, 'big-app')
    const { makeWebApp } = (await import(pathToFileURL(path.join(repoRoot, 'bench', 'make-webapp.mjs')).href)) as {
      makeWebApp: (
        dir: string,
        options: { megabytes: number; files: number },
      ) => Promise<{ files: number; bytes: number }>
    }
    made = await makeWebApp(dir, { megabytes: 32, files: 3000 })
    big = await bundle(dir, path.join(await freshOutDir(), 'big.zip.enc'))
    capgoOutput = await capgoDecrypt(capgoProject, big.out, big.sessionKey, big.checksum, ourPub)
    decryptedFile = `${big.out}_decrypted.zip`
  })

  it('is bundled whole: every file counted, at least 30 MB in', async () => {
    expect(made.files).toBeGreaterThanOrEqual(3000)
    expect(big.fileCount).toBe(made.files)
    expect(big.rawSize).toBeGreaterThanOrEqual(30 * 1024 * 1024)
    expect(big.rawSize).toBeGreaterThanOrEqual(made.bytes)
    expect((await stat(big.out)).size).toBe(big.encryptedSize)
  })

  it('Capgo `bundle decrypt --checksum` says "Checksum matches"', async () => {
    expect(capgoOutput).toContain('Checksum matches')
    const decrypted = await readFile(decryptedFile)
    expect(decrypted.length).toBe(big.zipSize)
    expect(sha256(decrypted)).toBe(big.sha256)
  })

  it('the decrypted zip passes Info-ZIP `unzip -t` and Java ZipInputStream, every file there', async () => {
    const [info, java] = await Promise.all([unzipTest(decryptedFile), javaZipInputStream(decryptedFile)])
    expect(info).toMatch(/No errors detected in compressed data/)
    expect(info.match(/^\s+testing: .+OK$/gm)?.length ?? 0).toBeGreaterThanOrEqual(made.files)
    const files = java.entries.filter((entry) => !entry.name.endsWith('/'))
    expect(files).toHaveLength(made.files)
    expect(new Set(files.map((entry) => entry.name)).size).toBe(made.files)
    expect(files.map((entry) => entry.name)).toContain('index.html')
    expect(files.reduce((sum, entry) => sum + entry.size, 0)).toBe(big.rawSize)
  })
})

describe('Capgo-made bundles and keys', () => {
  it('our verify accepts `capgo bundle zip` + `bundle encrypt` made with a key from our `key create`', async () => {
    const project = await makeCapgoProject(path.join(work, 'capgo-zip'))
    await writeTree(path.join(project, 'dist'), {
      'index.html': '<!doctype html><html><body><script type="module" src="assets/app.js"></script></body></html>\n',
      'assets/app.js': NOTIFY_JS,
      'assets/site.css': 'body { margin: 0 }\n'.repeat(100),
    })
    const { stdout } = await capgo(project, ['bundle', 'zip', '--path', 'dist', '--bundle', '1.0.0', '--json'])
    const zipped = lastJsonObject(stdout)
    const zipFile = path.join(project, String(zipped.filename))
    expect(sha256(await readFile(zipFile))).toBe(zipped.checksum)
    const encrypted = await capgoEncrypt(project, zipFile, String(zipped.checksum), ourKey)

    const run = await runCli(
      [
        'verify',
        encrypted.encryptedFile,
        '--session-key',
        encrypted.ivSessionKey,
        '--checksum',
        encrypted.checksum,
        '--public-key',
        ourPub,
      ],
      { cwd: work },
    )
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(run.stdout).toMatch(/^OK: /)
    expect(run.stdout).toContain(`sha256 ${String(zipped.checksum)}`)

    const wrongKey = await runCli(
      [
        'verify',
        encrypted.encryptedFile,
        '--session-key',
        encrypted.ivSessionKey,
        '--checksum',
        encrypted.checksum,
        '--public-key',
        otherPub,
      ],
      { cwd: work },
    )
    expect(wrongKey.code).toBe(4)
  })

  it("a key from Capgo's `key create` signs with our `bundle`; Capgo decrypt and our verify accept the result", async () => {
    const project = await makeCapgoProject(path.join(work, 'capgo-key'))
    await capgo(project, ['key', 'create'])
    const capgoKey = path.join(project, '.capgo_key_v2')
    const capgoPub = path.join(project, '.capgo_key_v2.pub')
    allKeyFiles.push(capgoKey, capgoPub)
    const out = path.join(await freshOutDir(), 'capgo-key.zip.enc')
    const result = await bundle(smallApp, out, ['--public-key', capgoPub], capgoKey)
    expect(result.keyId).toBe(keyIdOfFile(await readFile(capgoPub, 'utf8')))
    expect(result.sha256).toBe(small.sha256)

    expect(await capgoDecrypt(project, out, result.sessionKey, result.checksum, capgoPub)).toContain('Checksum matches')
    const run = await runCli(
      ['verify', out, '--session-key', result.sessionKey, '--checksum', result.checksum, '--public-key', capgoPub],
      { cwd: work },
    )
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(run.stdout).toMatch(/^OK: /)
  })
})

describe('live-update bundle refuses bad input: one error line, exit 3, nothing written', () => {
  interface BadCase {
    webDir: () => Promise<string>
    args?: () => string[]
    code: string
    message: RegExp
  }
  const app = () => smallApp
  const folder = (name: string, files: Record<string, string>) => () => writeTree(path.join(work, 'bad', name), files)
  const cases: [string, BadCase][] = [
    [
      'a missing folder',
      {
        webDir: async () => path.join(work, 'bad', 'does-not-exist'),
        code: 'bundle_folder_missing',
        message: /does-not-exist does not exist/,
      },
    ],
    [
      'an empty folder',
      {
        webDir: async () => {
          const dir = path.join(work, 'bad', 'empty')
          await mkdir(dir, { recursive: true })
          return dir
        },
        code: 'bundle_folder_empty',
        message: /holds no files/,
      },
    ],
    [
      'index.html not at the root',
      {
        webDir: folder('nested', { 'www/index.html': '<html></html>', 'www/app.js': NOTIFY_JS }),
        code: 'bundle_index_html_missing',
        message: /index\.html must be at the root.*found at 'www\/index\.html'/,
      },
    ],
    [
      'no notifyAppReady in any script',
      {
        webDir: folder('no-notify', { 'index.html': '<html></html>', 'main.js': 'console.log(1)\n' }),
        code: 'bundle_notify_app_ready_missing',
        message: /notifyAppReady.*--no-notify-check/,
      },
    ],
    [
      'the public key given as the private key',
      {
        webDir: async () => app(),
        args: () => ['--private-key', ourPub],
        code: 'keys_private_key_is_public',
        message: /--private-key holds a public key.*PRIVATE key/,
      },
    ],
    [
      'an SPKI (BEGIN PUBLIC KEY) public key as the app key',
      {
        webDir: async () => app(),
        args: () => ['--public-key', ourSpki],
        code: 'keys_public_key_spki',
        message: /SPKI.*BEGIN RSA PUBLIC KEY/,
      },
    ],
    [
      'a passphrase-protected private key',
      {
        webDir: async () => app(),
        args: () => ['--private-key', encryptedKey],
        code: 'keys_private_key_encrypted',
        message: /passphrase-protected/,
      },
    ],
    [
      'a 4096-bit private key',
      {
        webDir: async () => app(),
        args: () => ['--private-key', key4096],
        code: 'keys_private_key_size_invalid',
        message: /RSA-4096.*RSA-2048/,
      },
    ],
    [
      'a public key that is not the pair of the private key',
      {
        webDir: async () => app(),
        args: () => ['--public-key', otherPub],
        code: 'keys_public_key_mismatch',
        message: /not the pair of the private key/,
      },
    ],
    [
      'a private key file that does not exist',
      {
        webDir: async () => app(),
        args: () => ['--private-key', path.join(work, 'nope.pem')],
        code: 'input_file_unreadable',
        message: /--private-key/,
      },
    ],
    [
      'a symlink leaving the folder (to the private key)',
      {
        webDir: async () => {
          const dir = await makeSmallApp(path.join(work, 'bad', 'escape'))
          await symlink(ourKey, path.join(dir, 'secret.txt'))
          return dir
        },
        code: 'bundle_symlink_outside',
        message: /'secret\.txt' points outside/,
      },
    ],
    [
      'version 1.2',
      {
        webDir: async () => app(),
        args: () => ['--version', '1.2'],
        code: 'input_version_invalid',
        message: /semantic version.*got '1\.2'/,
      },
    ],
    [
      'version 1.2.3.4',
      {
        webDir: async () => app(),
        args: () => ['--version', 'v1.2.3.4'],
        code: 'input_version_invalid',
        message: /semantic version.*got '1\.2\.3\.4'/,
      },
    ],
  ]

  it.each(cases)('%s', async (_label, bad) => {
    const outDir = await freshOutDir()
    const out = path.join(outDir, 'bundle.zip.enc')
    // Later flags win, so a case's --private-key/--public-key/--version replace the defaults.
    const args = [
      'bundle',
      await bad.webDir(),
      '--private-key',
      ourKey,
      '--version',
      '1.0.0',
      '--out',
      out,
      ...(bad.args?.() ?? []),
    ]
    const run = await runCli(args, { cwd: work })
    expect(run.code).toBe(3)
    expect(run.stdout).toBe('')
    expect(expectOneErrorLine(run, bad.code)).toMatch(bad.message)
    expect(await readdir(outDir)).toEqual([])
    await expectNoKeyMaterial(run)
  })

  it('an --out whose folder is missing, or that is a folder, is refused up front (no folder created)', async () => {
    const outDir = await freshOutDir()
    const missing = await runCli(
      [
        'bundle',
        smallApp,
        '--private-key',
        ourKey,
        '--version',
        '1.0.0',
        '--out',
        path.join(outDir, 'nested', 'b.enc'),
      ],
      { cwd: work },
    )
    expect(missing.code).toBe(3)
    expect(expectOneErrorLine(missing, 'input_out_dir_missing')).toContain(path.join(outDir, 'nested'))
    const folder = await runCli(['bundle', smallApp, '--private-key', ourKey, '--version', '1.0.0', '--out', outDir], {
      cwd: work,
    })
    expect(folder.code).toBe(3)
    expect(expectOneErrorLine(folder, 'input_out_is_folder')).toContain('--out')
    expect(await readdir(outDir)).toEqual([])
    const inside = await runCli(
      ['bundle', smallApp, '--private-key', ourKey, '--version', '1.0.0', '--out', path.join(smallApp, 'bundle.enc')],
      { cwd: work },
    )
    expect(inside.code).toBe(3)
    expect(expectOneErrorLine(inside, 'input_out_inside_web_dir')).toContain('inside the web folder')
    await expect(stat(path.join(smallApp, 'bundle.enc'))).rejects.toThrow()
    // A name that starts with '..' is still inside (issue 9 item 11).
    const dotted = await runCli(
      ['bundle', smallApp, '--private-key', ourKey, '--version', '1.0.0', '--out', path.join(smallApp, '..x.enc')],
      { cwd: work },
    )
    expect(dotted.code).toBe(3)
    expect(expectOneErrorLine(dotted, 'input_out_inside_web_dir')).toContain('..x.enc')
    await expect(stat(path.join(smallApp, '..x.enc'))).rejects.toThrow()
  })

  it('a web folder it may not read is a specific error naming the folder (exit 3), not a raw EACCES', async () => {
    // Root reads anything, so where the suite runs as root the CLI runs as nobody, in a folder nobody can enter.
    const asRoot = process.getuid?.() === 0
    const place = await tempDir('live-update-cli-eacces-')
    try {
      await chmod(place, 0o755)
      const app = await makeSmallApp(path.join(place, 'app'), { 'private/a.js': 'x' })
      const key = path.join(place, 'key.pem')
      await writeFile(key, await readFile(ourKey), { mode: 0o644 })
      await mkdir(path.join(place, 'out'), { mode: 0o777 })
      await chmod(path.join(place, 'out'), 0o777)
      await chmod(path.join(app, 'private'), 0o000)
      const args = [
        'bundle',
        app,
        '--private-key',
        key,
        '--version',
        '1.0.0',
        '--out',
        path.join(place, 'out', 'b.enc'),
      ]
      const run = asRoot
        ? await runCli(args, {
            cwd: place,
            wrapper: ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'],
          })
        : await runCli(args, { cwd: place })
      expect(run.code).toBe(3)
      expect(expectOneErrorLine(run, 'bundle_file_permission_denied')).toContain("'private/'")
      expect(await readdir(path.join(place, 'out'))).toEqual([])
    } finally {
      await chmod(path.join(place, 'app', 'private'), 0o755).catch(() => undefined)
      await removeDir(place)
    }
  })

  it('accepts a PKCS#8 private key (OpenSSL 3 genrsa) and signs for its PKCS#1 public key', async () => {
    expect(await readFile(otherKey, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    const out = path.join(await freshOutDir(), 'pkcs8.zip.enc')
    const result = await bundle(smallApp, out, ['--public-key', otherPub], otherKey)
    expect(result.keyId).toBe(keyIdOfFile(await readFile(otherPub, 'utf8')))
    const plain = await opensslDecryptBundle(path.dirname(out), out, result.sessionKey, otherPub)
    expect(sha256(plain)).toBe(small.sha256)
  })

  it('--no-notify-check lets a build without notifyAppReady through, and the result verifies', async () => {
    const dir = await writeTree(path.join(work, 'bad', 'no-notify-opt-out'), {
      'index.html': '<html></html>',
      'main.js': 'console.log(1)\n',
    })
    const out = path.join(await freshOutDir(), 'opt-out.zip.enc')
    const result = await bundle(dir, out, ['--no-notify-check'])
    expect(result.fileCount).toBe(2)
    expect((await stat(out)).size).toBe(result.encryptedSize)
    const run = await runCli(
      ['verify', out, '--session-key', result.sessionKey, '--checksum', result.checksum, '--public-key', ourPub],
      { cwd: work },
    )
    expect(run.code).toBe(0)
  })
})

describe('live-update bundle in an app project', () => {
  it("refuses a private key that is not the pair of capacitor.config's public key, before writing anything", async () => {
    const project = path.join(work, 'project-mismatch')
    await mkdir(project, { recursive: true })
    const other = await runCli(['key', 'create', '--dir', project], { cwd: work })
    expect(other.code).toBe(0)
    await writeFile(
      path.join(project, 'capacitor.config.json'),
      JSON.stringify({
        appId: 'com.example.app',
        webDir: 'www',
        plugins: { CapacitorUpdater: { publicKey: await readFile(path.join(project, '.capgo_key_v2.pub'), 'utf8') } },
      }),
    )
    const outDir = await freshOutDir()
    const refused = await runCli(
      ['bundle', smallApp, '--private-key', ourKey, '--version', '1.0.0', '--out', path.join(outDir, 'x.enc')],
      { cwd: project },
    )
    expect(refused.code).toBe(3)
    expect(expectOneErrorLine(refused, 'keys_public_key_mismatch')).toContain(
      'capacitor.config.json plugins.CapacitorUpdater.publicKey',
    )
    expect(await readdir(outDir)).toEqual([])
    const accepted = await runCli(
      [
        'bundle',
        smallApp,
        '--private-key',
        path.join(project, '.capgo_key_v2'),
        '--version',
        '1.0.0',
        '--out',
        path.join(outDir, 'y.enc'),
      ],
      { cwd: project },
    )
    expect(accepted.code).toBe(0)
  })
})

describe('live-update bundle --level', () => {
  it('trades size for speed: level 1 is bigger than level 9, both verify; 0 and 10 are refused', async () => {
    const dir = await writeTree(path.join(work, 'levels'), {
      'index.html': '<html></html>',
      'app.js': `CapacitorUpdater.notifyAppReady()\n${Array.from({ length: 4000 }, (_, i) => `export const value${i} = compute(${i % 97}, "${(i * 7919) % 1013}")\n`).join('')}`,
    })
    const outDir = await freshOutDir()
    const fast = await bundle(dir, path.join(outDir, 'l1.enc'), ['--level', '1'])
    const small = await bundle(dir, path.join(outDir, 'l9.enc'), ['--level', '9'])
    expect(fast.zipSize).toBeGreaterThan(small.zipSize)
    for (const [result, file] of [
      [fast, 'l1.enc'],
      [small, 'l9.enc'],
    ] as const) {
      const run = await runCli(
        [
          'verify',
          path.join(outDir, file),
          '--session-key',
          result.sessionKey,
          '--checksum',
          result.checksum,
          '--public-key',
          ourPub,
        ],
        { cwd: work },
      )
      expect(run.code).toBe(0)
    }
    for (const level of ['0', '10', 'fast']) {
      const refused = await runCli(
        [
          'bundle',
          dir,
          '--private-key',
          ourKey,
          '--version',
          '1.0.0',
          '--out',
          path.join(outDir, 'bad.enc'),
          '--level',
          level,
        ],
        { cwd: work },
      )
      expect(refused.code).toBe(3)
      expect(expectOneErrorLine(refused, 'input_compression_level_invalid')).toContain(
        '--level must be a whole number from 1 to 9',
      )
    }
    await expect(stat(path.join(outDir, 'bad.enc'))).rejects.toThrow()
  })
})

describe('live-update bundle --cache-dir', () => {
  it('reuses deflated files across runs, with the same zip bytes, and survives a tampered cache', async () => {
    const dir = await makeSmallApp(path.join(work, 'cached-app'), {
      'js/vendor.js': 'export const x = 1;\n'.repeat(5000),
    })
    const cache = path.join(work, 'deflate-cache')
    const outDir = await freshOutDir()
    const plain = await bundle(dir, path.join(outDir, 'plain.enc'))
    const cold = await bundle(dir, path.join(outDir, 'cold.enc'), ['--cache-dir', cache])
    const warm = await bundle(dir, path.join(outDir, 'warm.enc'), ['--cache-dir', cache])
    expect(cold.cache).toEqual({ hits: 0, misses: 4, rejected: 0 })
    expect(warm.cache).toEqual({ hits: 4, misses: 0, rejected: 0 })
    expect(plain.cache).toBeUndefined()
    // The plaintext zip is the same; only the fresh AES key makes the encrypted files differ.
    expect(new Set([plain.sha256, cold.sha256, warm.sha256]).size).toBe(1)
    // Every pack overwritten with garbage of the same size (the index still points into it).
    for (const generation of await readdir(cache)) {
      for (const name of (await readdir(path.join(cache, generation))).filter((file) => file.endsWith('.pack'))) {
        const file = path.join(cache, generation, name)
        await writeFile(file, Buffer.alloc((await stat(file)).size, 0xff))
      }
    }
    const tampered = await bundle(dir, path.join(outDir, 'tampered.enc'), ['--cache-dir', cache])
    expect(tampered.cache).toEqual({ hits: 0, misses: 0, rejected: 4 })
    expect(tampered.sha256).toBe(plain.sha256)
    const zip = await opensslDecryptBundle(work, path.join(outDir, 'tampered.enc'), tampered.sessionKey, ourPub)
    await writeFile(path.join(outDir, 'tampered.zip'), zip)
    expect(await unzipTest(path.join(outDir, 'tampered.zip'))).toMatch(/No errors detected/)
    // A cache inside the web folder would be bundled (and grow every run): refused before any work.
    const inside = await runCli(
      [
        'bundle',
        dir,
        '--private-key',
        ourKey,
        '--version',
        '1.0.0',
        '--out',
        path.join(outDir, 'in.enc'),
        '--cache-dir',
        path.join(dir, '.cache'),
      ],
      { cwd: work },
    )
    expect(inside.code).toBe(3)
    expect(expectOneErrorLine(inside, 'input_cache_dir_inside_web_dir')).toContain('--cache-dir')
    await expect(stat(path.join(dir, '.cache'))).rejects.toThrow()
  })
})

describe('live-update verify', () => {
  const flipHexDigit = (hex: string, index: number) =>
    hex.slice(0, index) + (hex[index] === '0' ? '1' : '0') + hex.slice(index + 1)
  const flipBase64Byte = (text: string, index: number) => {
    const bytes = Buffer.from(text, 'base64')
    bytes[index] ^= 0x01
    return bytes.toString('base64')
  }
  const verifyArgs = (over: { source?: string; sessionKey?: string; checksum?: string; publicKey?: string } = {}) => [
    'verify',
    over.source ?? small.out,
    '--session-key',
    over.sessionKey ?? small.sessionKey,
    '--checksum',
    over.checksum ?? small.checksum,
    '--public-key',
    over.publicKey ?? ourPub,
  ]

  it('accepts a good bundle: exit 0, OK on stdout', async () => {
    const run = await runCli(verifyArgs(), { cwd: work })
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(run.stdout).toMatch(new RegExp(`^OK: .*sha256 ${small.sha256}`))
  })

  const tampered: [string, () => Promise<Parameters<typeof verifyArgs>[0]>, string][] = [
    [
      'a flipped ciphertext byte',
      async () => {
        const bytes = await readFile(small.out)
        bytes[Math.floor(bytes.length / 2)] ^= 0x80
        const file = path.join(work, 'tampered-cipher.enc')
        await writeFile(file, bytes)
        return { source: file }
      },
      'checksum',
    ],
    [
      "a flipped byte in the session key's wrapped key",
      async () => {
        const [iv, wrapped] = small.sessionKey.split(':')
        return { sessionKey: `${iv}:${flipBase64Byte(wrapped, 128)}` }
      },
      'session-key',
    ],
    ['a flipped checksum hex digit', async () => ({ checksum: flipHexDigit(small.checksum, 200) }), 'checksum'],
    ['the wrong public key', async () => ({ publicKey: otherPub }), 'session-key'],
  ]
  it.each(tampered)('%s: exit 4, names the step', async (_label, change, step) => {
    const over = await change()
    const run = await runCli(verifyArgs(over), { cwd: work })
    expect(run.code).toBe(4)
    expect(run.stdout).toBe('')
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(new RegExp(`^live-update: verify failed at step '${step}': .+`))
    const json = await runCli([...verifyArgs(over), '--json'], { cwd: work })
    expect(json.code).toBe(4)
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, step })
  })

  const badInput: [string, () => Parameters<typeof verifyArgs>[0], string][] = [
    ['the private key given as --public-key', () => ({ publicKey: ourKey }), 'keys_public_key_is_private'],
    [
      'a 16-character checksum copied from the summary',
      () => ({ checksum: small.checksum.slice(0, 16) }),
      'input_checksum_invalid',
    ],
    [
      'a local file that does not exist',
      () => ({ source: path.join(work, 'no-such-bundle.zip') }),
      'input_bundle_file_missing',
    ],
  ]
  it.each(badInput)('%s: exit 3 (bad input, not "a device would reject")', async (_label, change, code) => {
    const run = await runCli(verifyArgs(change()), { cwd: work })
    expect(run).toMatchObject({ code: 3, stdout: '' })
    expect(run.stderr).toMatch(new RegExp(`^live-update: error \\[${code}\\]: .+`))
  })

  describe('over http', () => {
    let server: Server
    let base: string
    beforeAll(async () => {
      const body = await readFile(small.out)
      server = createServer((request, response) => {
        if (request.url?.split('?')[0] === '/bundles/1.0.0.zip')
          response.writeHead(200, { 'content-length': body.length }).end(body)
        else response.writeHead(404).end('not found')
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve))
    })

    it('verifies a bundle by URL from a loopback server', async () => {
      const run = await runCli(verifyArgs({ source: `${base}/bundles/1.0.0.zip` }), { cwd: work })
      expect(run).toMatchObject({ code: 0, stderr: '' })
      expect(run.stdout).toMatch(/^OK: /)
    })

    it('a signed query string is never echoed, on success either (D8)', async () => {
      const run = await runCli(verifyArgs({ source: `${base}/bundles/1.0.0.zip?X-Amz-Signature=SigSecret999` }), {
        cwd: work,
      })
      expect(run).toMatchObject({ code: 0, stderr: '' })
      expect(run.stdout).toMatch(new RegExp(`^OK: a device would accept ${base}/bundles/1\\.0\\.0\\.zip \\(`))
      expect(run.stdout).not.toContain('SigSecret999')
    })

    it('a URL with credentials is bad input (exit 3) and is never printed whole (D8)', async () => {
      const secretUrl = `${base.replace('http://', 'http://user:Hunter2Secret@')}/bundles/1.0.0.zip?X-Amz-Signature=SigSecret999`
      for (const extra of [[], ['--json']]) {
        const run = await runCli([...verifyArgs({ source: secretUrl }), ...extra], { cwd: work })
        expect(run.code).toBe(3)
        expect(run.stderr).toMatch(/^live-update: error \[input_bundle_url_invalid\]: .*must not contain credentials/)
        expect(run.stdout + run.stderr).not.toMatch(/Hunter2Secret|SigSecret999/)
      }
    })

    it('a 404 URL fails at the download step', async () => {
      const run = await runCli(verifyArgs({ source: `${base}/bundles/missing.zip` }), { cwd: work })
      expect(run.code).toBe(4)
      expect(run.stderr).toMatch(/^live-update: verify failed at step 'download': .*404/)
    })
  })
})

describe('usage errors exit 2', () => {
  it('an unknown command', async () => {
    const run = await runCli(['frobnicate'], { cwd: work })
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/^live-update: .*unknown command 'frobnicate'.*--help/)
  })

  it('bundle without --out writes nothing', async () => {
    const cwd = await freshOutDir()
    const run = await runCli(['bundle', smallApp, '--private-key', ourKey, '--version', '1.0.0'], { cwd })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^live-update: .*missing --out/)
    expect(await readdir(cwd)).toEqual([])
    expect(await readdir(path.join(work, 'small-app'))).toEqual(
      expect.not.arrayContaining([expect.stringMatching(/partial|\.enc$|\.zip$/)]),
    )
  })

  it('an unknown option', async () => {
    const run = await runCli(
      ['bundle', smallApp, '--private-key', ourKey, '--version', '1.0.0', '--out', 'x.enc', '--frobnicate'],
      { cwd: await freshOutDir() },
    )
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^live-update: .*--frobnicate/)
  })

  it('no command prints the usage', async () => {
    const run = await runCli([], { cwd: work })
    expect(run.code).toBe(2)
    expect(run.stdout).toMatch(/^Usage: live-update <command>/)
  })
})

describe('the bundled CLI as installed from npm', () => {
  it('--version and --help answer without a command-line error', async () => {
    const version = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')).version
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' })
    const help = await runCli(['publish', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage: live-update publish/)
  })

  it('package.json is publishable: not private, bin and files name the built CLI', async () => {
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8'))
    expect(pkg.private).toBeUndefined()
    expect(pkg.bin).toEqual({ 'live-update': 'dist/cli.js' })
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'action.yml', 'LICENSE']))
    expect((await readFile(path.join(repoRoot, 'dist', 'cli.js'), 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(
      true,
    )
  })

  // The AWS SDK prints a 9-line NodeVersionSupportWarning on Node < 22 when an S3 client is made.
  const node20 = ['/usr/bin/node', '/bin/node', '/usr/local/bin/node'].find((file) => {
    try {
      return Number(execFileSync(file, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' })) < 22
    } catch {
      return false
    }
  })
  const onNode20 = node20 ? it : it.skip
  onNode20(
    'on Node 20, publish shows no AWS SDK NodeVersionSupportWarning (and it would without the fix)',
    async () => {
      const args = [
        path.join(repoRoot, 'dist', 'cli.js'),
        'publish',
        '--dry-run',
        '--private-key',
        ourKey,
        '--path',
        smallApp,
        '--app-id',
        'com.example.sdk',
        '--version',
        '1.0.0',
      ]
      const storage = [
        '--storage',
        's3',
        '--s3-bucket',
        'bucket',
        '--s3-endpoint',
        'http://127.0.0.1:9',
        '--server',
        'none',
      ]
      const run = (env: NodeJS.ProcessEnv) =>
        spawnSync(node20!, [...args, ...storage], {
          cwd: work,
          env: { PATH: process.env.PATH, ...env },
          encoding: 'utf8',
        })
      const quiet = run({})
      expect(quiet.status).toBe(0)
      expect(quiet.stderr).not.toContain('NodeVersionSupportWarning')
      const control = run({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' })
      expect(control.stderr).toContain('NodeVersionSupportWarning')
    },
  )
})
