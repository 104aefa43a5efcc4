/**
 * Every CLI command in-process through main(argv, io): help, version, the argument rules (values
 * that start with '-', booleans without a value, --flag=value), secrets from the environment, and
 * `publish` end to end to the folder store, with its build command.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { main } from '../../src/cli/main.js'
import { createKeyPair } from '../../src/core/keys.js'
import { makeSmallApp, removeDir, tempDir } from '../support/folders.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const keys = createKeyPair()
let work: string
let project: string

beforeAll(async () => {
  work = await tempDir('live-update-cli-unit-')
  project = path.join(work, 'project')
  await makeSmallApp(path.join(project, 'www'))
  await writeFile(
    path.join(project, 'capacitor.config.json'),
    JSON.stringify({
      appId: 'com.example.cli',
      webDir: 'www',
      plugins: { CapacitorUpdater: { publicKey: keys.publicKeyPem } },
    }),
  )
  await writeFile(path.join(project, 'key.pem'), keys.privateKeyPem)
  await writeFile(path.join(project, 'key.pub'), keys.publicKeyPem)
})

afterAll(async () => {
  await removeDir(work)
})

async function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  let stdout = ''
  let stderr = ''
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: options.env ?? {},
    cwd: options.cwd ?? project,
  })
  return { code, stdout, stderr }
}

describe('help and version', () => {
  it('--version prints the package version', async () => {
    const version = JSON.parse(await readFile(path.join(repo, 'package.json'), 'utf8')).version
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' })
  })

  it.each([
    ['key', 'create', '--help'],
    ['key', '--help'],
    ['bundle', '--help'],
    ['verify', '-h'],
    ['publish', '--help'],
    ['help', 'publish'],
    ['help', 'bundle'],
  ])('%s %s %s: exit 0, usage, options and examples', async (...args) => {
    const run = await cli(args.filter(Boolean))
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Usage: live-update /)
    expect(run.stdout).toContain('Options:')
    expect(run.stdout).toMatch(/Examples:\n {2}\S/)
    expect(run.stderr).toBe('')
  })

  it('serve --help: exit 0, usage and examples', async () => {
    for (const args of [
      ['serve', '--help'],
      ['help', 'serve'],
    ]) {
      const run = await cli(args)
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(/^Usage: live-update serve --state-url URL/)
      expect(run.stdout).toMatch(/Examples:\n {2}live-update serve /)
    }
  })

  it('publish --help lists every flag from the input table, with the env variables for secrets', async () => {
    const run = await cli(['publish', '--help'])
    for (const flag of [
      '--private-key FILE',
      '--s3-bucket',
      '--capgo-api-key',
      '--level',
      '--tag-prefix',
      '--dry-run',
      '--no-notify-check',
    ])
      expect(run.stdout).toContain(flag)
    for (const env of [
      'LIVE_UPDATE_PRIVATE_KEY',
      'CAPGO_API_KEY',
      'LIVE_UPDATE_WEBHOOK_SECRET',
      'AWS_SECRET_ACCESS_KEY',
    ])
      expect(run.stdout).toContain(env)
    expect(run.stdout).toMatch(/--pr-comment VALUE\n\s+Action only: accepted and ignored by the CLI\./)
  })
})

describe('argument rules', () => {
  it('an unknown flag exits 2 and suggests the close one', async () => {
    const run = await cli(['bundle', 'www', '--verison', '1.0.0'])
    expect(run.code).toBe(2)
    expect(run.stderr).toBe(
      "live-update: unknown option '--verison' for 'bundle'. Did you mean '--version'? Run 'live-update bundle --help' for its options.\n",
    )
  })

  it('a flag without its value exits 2 and shows both forms', async () => {
    const run = await cli(['bundle', 'www', '--private-key', 'key.pem', '--version'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--version needs a value: --version SEMVER or --version=SEMVER')
  })

  it('--flag value and --flag=value; a value may start with dashes (a PEM on the command line works, with a warning)', async () => {
    const out = path.join(work, 'a.zip')
    const spaced = await cli([
      'bundle',
      'www',
      '--private-key',
      keys.privateKeyPem,
      '--version',
      'v1.0.0',
      '--out',
      out,
      '--json',
    ])
    expect(spaced.code).toBe(0)
    expect(spaced.stderr).toMatch(/^warning: --private-key holds PEM text/)
    expect(JSON.parse(spaced.stdout)).toMatchObject({ version: '1.0.0', out })
    const inline = await cli([
      'bundle',
      'www',
      `--private-key=${path.join(project, 'key.pem')}`,
      '--version=1.0.1',
      `--out=${path.join(work, 'b.zip')}`,
      '--json=true',
    ])
    expect(inline.code).toBe(0)
    expect(inline.stderr).toBe('')
    expect(JSON.parse(inline.stdout).version).toBe('1.0.1')
  })

  it('the private key can come from LIVE_UPDATE_PRIVATE_KEY', async () => {
    const run = await cli(['bundle', 'www', '--version', '1.0.2', '--out', path.join(work, 'c.zip')], {
      env: { LIVE_UPDATE_PRIVATE_KEY: keys.privateKeyPem },
    })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Bundle 1\.0\.2: 4 files/)
  })

  it('errors name flags, not action inputs', async () => {
    const run = await cli([
      'bundle',
      'www',
      '--private-key',
      'key.pem',
      '--version',
      '1.0.0',
      '--out',
      path.join(work, 'd.zip'),
      '--level',
      '0',
    ])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(
      /^live-update: error \[input_compression_level_invalid\]: --level must be a whole number from 1 to 9/,
    )
    const publish = await cli([
      'publish',
      '--private-key',
      'key.pem',
      '--version',
      '1.0.0',
      '--channel',
      'bad!',
      '--server',
      'none',
      '--storage',
      'dir',
      '--storage-dir',
      '../store',
    ])
    expect(publish.code).toBe(3)
    expect(publish.stderr).toMatch(/^live-update: error \[input_channel_invalid\]: --channel may hold/)
    const noKey = await cli([
      'publish',
      '--version',
      '1.0.0',
      '--server',
      'none',
      '--storage',
      'dir',
      '--storage-dir',
      '../store',
    ])
    expect(noKey.stderr).toMatch(/No private key: set LIVE_UPDATE_PRIVATE_KEY .* or --private-key to its path/)
  })
})

describe('key create', () => {
  it('writes the pair, adds .capgo_key_v2 to .gitignore (once), and prints the next step', async () => {
    const dir = path.join(work, 'keys')
    await mkdir(dir)
    await writeFile(path.join(dir, '.gitignore'), 'node_modules')
    const run = await cli(['key', 'create'], { cwd: dir })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`Added .capgo_key_v2 to ${path.join(dir, '.gitignore')}`)
    expect(run.stdout).toContain('gh secret set LIVE_UPDATE_PRIVATE_KEY < .capgo_key_v2')
    expect(await readFile(path.join(dir, '.gitignore'), 'utf8')).toMatch(/^node_modules\n#.*\n\.capgo_key_v2\n$/)
    const again = await cli(['key', 'create', '--force'], { cwd: dir })
    expect(again.stdout).toContain('already ignores .capgo_key_v2')
    expect((await readFile(path.join(dir, '.gitignore'), 'utf8')).match(/^\.capgo_key_v2$/gm)).toHaveLength(1)
  })
})

describe('key create --config', () => {
  it('a capacitor.config.ts gets the snippet to paste (exit 0, keys written); a missing one fails before any key', async () => {
    const dir = path.join(work, 'ts-app')
    await mkdir(dir)
    const missing = await cli(['key', 'create', '--config', 'capacitor.config.ts'], { cwd: dir })
    expect(missing.code).toBe(3)
    expect(missing.stderr).toMatch(
      /\[input_capacitor_config_missing\]: --config .*capacitor\.config\.ts does not exist/,
    )
    expect(await readdir(dir)).toEqual([])
    await writeFile(path.join(dir, 'capacitor.config.ts'), "export default { appId: 'com.example.ts' }\n")
    const run = await cli(['key', 'create', '--config', 'capacitor.config.ts'], { cwd: dir })
    expect(run.code).toBe(0)
    const pub = await readFile(path.join(dir, '.capgo_key_v2.pub'), 'utf8')
    expect(run.stdout).toContain(`plugins: { CapacitorUpdater: { publicKey: ${JSON.stringify(pub)} } }`)
    expect(await readFile(path.join(dir, 'capacitor.config.ts'), 'utf8')).toBe(
      "export default { appId: 'com.example.ts' }\n",
    )
  })
})

describe('bundle, verify and publish', () => {
  it('verify accepts what bundle made', async () => {
    const out = path.join(work, 'v.zip')
    const made = JSON.parse(
      (await cli(['bundle', 'www', '--private-key', 'key.pem', '--version', '2.0.0', '--out', out, '--json'])).stdout,
    )
    const run = await cli([
      'verify',
      out,
      '--session-key',
      made.sessionKey,
      '--checksum',
      made.checksum,
      '--public-key',
      'key.pub',
    ])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    expect(run.stdout).toMatch(/^OK: a device would accept/)
  })

  it('publish runs the build, bundles, stores, verifies; booleans need no value', async () => {
    const store = path.join(work, 'store')
    const run = await cli([
      'publish',
      '--private-key',
      'key.pem',
      '--version',
      'v3.0.0',
      '--storage',
      'dir',
      '--storage-dir',
      store,
      '--server',
      'none',
      '--build-command',
      'echo built > www/built.txt',
      '--json',
    ])
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('Running build: echo built > www/built.txt')
    const result = JSON.parse(run.stdout)
    expect(result).toMatchObject({ status: 'published', appId: 'com.example.cli', version: '3.0.0', registrar: 'none' })
    expect(result.bundle.fileCount).toBe(5)
    // The bundle and its release record beside it.
    expect(await readdir(path.join(store, 'com.example.cli', '3.0.0'))).toEqual([
      path.basename(result.objectKey),
      `${path.basename(result.objectKey)}.release.json`,
    ])
    const dry = await cli([
      'publish',
      '--dry-run',
      '--private-key',
      'key.pem',
      '--version',
      '3.0.1',
      '--server',
      'capgo',
    ])
    expect(dry.code).toBe(0)
    expect(dry.stdout).toBe('dry-run: com.example.cli 3.0.1 on channel production\n')
  })

  it('action-only inputs are accepted and ignored, with a warning (one set of inputs for both)', async () => {
    const run = await cli([
      'publish',
      '--dry-run',
      '--private-key',
      'key.pem',
      '--version',
      '3.0.4',
      '--server',
      'none',
      '--pr-comment',
      'never',
      '--summary=false',
    ])
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('warning: --pr-comment is an action input; the CLI ignores it.')
    expect(run.stderr).toContain('warning: --summary is an action input; the CLI ignores it.')
  })

  it('publish takes the key from LIVE_UPDATE_PRIVATE_KEY; an explicit --private-key wins', async () => {
    const env = { LIVE_UPDATE_PRIVATE_KEY: keys.privateKeyPem }
    expect((await cli(['publish', '--dry-run', '--version', '3.0.2', '--server', 'none'], { env })).code).toBe(0)
    const wrong = await cli(
      ['publish', '--dry-run', '--private-key', 'key.pub', '--version', '3.0.3', '--server', 'none'],
      { env },
    )
    expect(wrong.code).toBe(3)
    expect(wrong.stderr).toMatch(/\[keys_private_key_is_public\]: --private-key holds a public key/)
  })
})

describe('verify of a URL', () => {
  it('a URL with credentials is refused as bad input, without quoting them', async () => {
    const run = await cli([
      'verify',
      'https://user:Hunter2Secret@cdn.example.com/b.zip?X-Amz-Signature=SigSecret999',
      '--session-key',
      'a:b',
      '--checksum',
      'c'.repeat(512),
      '--public-key',
      'key.pub',
    ])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(
      /^live-update: error \[input_bundle_url_invalid\]: <file-or-url> must not contain credentials/,
    )
    expect(run.stderr).not.toMatch(/Hunter2Secret|SigSecret999/)
  })
})
