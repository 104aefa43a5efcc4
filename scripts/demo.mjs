// `npm run demo`: the whole job on an embedded default, no cloud account needed.
// Copies the example Capacitor app, creates a throwaway key pair (public key written into its
// capacitor.config.json), builds the web app, publishes it to a local-folder store, then checks
// the stored bundle exactly as a device would.
import { execFileSync } from 'node:child_process'
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const cli = path.join(repo, 'dist', 'cli.js')
const work = await mkdtemp(path.join(os.tmpdir(), 'live-update-demo-'))
const app = path.join(work, 'app')
const store = path.join(work, 'store')
const live = (args, options = {}) =>
  execFileSync(process.execPath, [cli, ...args], {
    cwd: app,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    ...options,
  })

try {
  await cp(path.join(repo, 'example'), app, {
    recursive: true,
    filter: (source) => !source.includes(`${path.sep}dist`),
  })
  // Installed dependencies, as after `npm ci`: the native-compatibility check fingerprints them.
  await symlink(path.join(repo, 'node_modules'), path.join(app, 'node_modules'), 'dir')
  console.log(`1. Example app copied to ${app}`)
  process.stdout.write(
    `${live(['key', 'create', '--dir', app, '--config', 'capacitor.config.json']).trimEnd().replace(/^/gm, '   ')}\n`,
  )
  console.log('2. Build, zip, encrypt, sign, store in a local folder, verify:')
  const result = JSON.parse(
    live([
      'publish',
      '--build-command',
      'node build.mjs',
      '--private-key-file',
      '.capgo_key_v2',
      '--version',
      '1.0.0',
      '--storage',
      'dir',
      '--storage-dir',
      store,
      '--server',
      'none',
      '--json',
    ]),
  )
  const bundle = result.bundle
  console.log(
    `   ${result.status}: ${result.appId} ${result.version}, ${bundle.fileCount} files, zip ${bundle.zipSize} B, encrypted ${bundle.encryptedSize} B`,
  )
  console.log(`   url ${result.bundleUrl}`)
  console.log(`   key_id ${bundle.keyId}, sha256 ${bundle.sha256}`)
  console.log('3. Verify the stored bundle as a device would (independent run of the verifier):')
  const stored = fileURLToPath(result.bundleUrl)
  process.stdout.write(
    `${live(['verify', stored, '--session-key', bundle.sessionKey, '--checksum', bundle.checksum, '--public-key', '.capgo_key_v2.pub']).trimEnd().replace(/^/gm, '   ')}\n`,
  )
  console.log('Demo finished: the bundle above is what a device would download, decrypt and install.')
} finally {
  await rm(work, { recursive: true, force: true })
}
