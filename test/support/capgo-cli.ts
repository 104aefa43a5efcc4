/**
 * The real Capgo CLI (devDependency @capgo/cli 8.68.1) as an interop peer. It needs
 * @capgo/capacitor-updater resolvable from its cwd to pick the V3 checksum format, so every call
 * runs inside a throwaway project folder whose node_modules links to this repo's.
 */
import { execFile } from 'node:child_process'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const capgoCli = path.join(repoRoot, 'node_modules', '@capgo', 'cli', 'dist', 'index.js')

/** A folder that looks like a Capacitor app with the updater plugin installed. */
export async function makeCapgoProject(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true })
  await writeFile(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'interop', version: '1.0.0', dependencies: { '@capgo/capacitor-updater': '8.51.23' } }),
  )
  await writeFile(
    path.join(dir, 'capacitor.config.json'),
    JSON.stringify({ appId: 'com.example.interop', appName: 'interop', webDir: 'dist' }),
  )
  await symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
  return dir
}

/** Run the Capgo CLI in `cwd` with telemetry off and no stdin (prompts take their default). */
export async function capgo(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const child = run(process.execPath, [capgoCli, ...args], {
    cwd,
    env: { ...process.env, CAPGO_DISABLE_TELEMETRY: '1', CI: '1', NO_COLOR: '1' },
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  })
  child.child.stdin?.end()
  return child
}

/** The last JSON object printed on stdout (warnings may precede it). */
export function lastJsonObject(stdout: string): Record<string, unknown> {
  const starts = [...stdout.matchAll(/^\{/gm)].map((m) => m.index ?? 0).reverse()
  for (const start of starts) {
    try {
      return JSON.parse(stdout.slice(start)) as Record<string, unknown>
    } catch {
      // not the start of the final object; try an earlier one
    }
  }
  throw new Error(`no JSON object in Capgo CLI output:\n${stdout}`)
}

/** `bundle encrypt <zip> <sha256> --key <private> --json`: writes `<zip>_encrypted.zip`. */
export async function capgoEncrypt(
  cwd: string,
  zipFile: string,
  sha256: string,
  privateKeyFile: string,
): Promise<{ encryptedFile: string; ivSessionKey: string; checksum: string }> {
  const { stdout } = await capgo(cwd, ['bundle', 'encrypt', zipFile, sha256, '--key', privateKeyFile, '--json'])
  const out = lastJsonObject(stdout)
  return {
    encryptedFile: `${zipFile}_encrypted.zip`,
    ivSessionKey: String(out.ivSessionKey),
    checksum: String(out.checksum),
  }
}

/** `bundle decrypt <file> <ivSessionKey> --checksum <hex> --key <public>`: returns all output. */
export async function capgoDecrypt(
  cwd: string,
  encryptedFile: string,
  ivSessionKey: string,
  checksum: string,
  publicKeyFile: string,
): Promise<string> {
  const { stdout, stderr } = await capgo(cwd, [
    'bundle',
    'decrypt',
    encryptedFile,
    ivSessionKey,
    '--checksum',
    checksum,
    '--key',
    publicKeyFile,
  ])
  return `${stdout}\n${stderr}`
}
