/**
 * Capgo's own `native_packages` code path as a peer: @capgo/cli 8.68.1 does not export
 * `getLocalDependencies`, so this copies its bundled dist/src/sdk.js unchanged, appends one line that
 * exports that (minified) function, and runs it in a child process whose cwd is the project (Capgo
 * reads `process.cwd()`). The function is found as the one that throws "Missing dependencies or
 * invalid dependencies", so a changed bundle fails loudly here instead of comparing the wrong code.
 */
import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const sdk = path.join(repoRoot, 'node_modules', '@capgo', 'cli', 'dist', 'src', 'sdk.js')
const MARKER = 'CAPGO_NATIVE_PACKAGES='

export interface CapgoDependency {
  name: string
  version: string
  native?: boolean
  ios_checksum?: string
  android_checksum?: string
}

/** Writes the exporting copy of Capgo's SDK into `dir`; returns its path. */
export async function exportCapgoLocalDependencies(dir: string): Promise<string> {
  const pkg = JSON.parse(
    await readFile(path.join(repoRoot, 'node_modules', '@capgo', 'cli', 'package.json'), 'utf8'),
  ) as { version: string }
  if (pkg.version !== '8.68.1')
    throw new Error(`expected @capgo/cli 8.68.1, found ${pkg.version}: re-check the function lookup`)
  const source = await readFile(sdk, 'utf8')
  const anchor = source.indexOf('"Missing dependencies or invalid dependencies"')
  const start = source.lastIndexOf('async function ', anchor)
  const name = /^async function ([\w$]+)\(/.exec(source.slice(start))?.[1]
  if (anchor < 0 || !name) throw new Error("getLocalDependencies not found in Capgo's sdk.js")
  const copy = path.join(dir, 'capgo-sdk-native.mjs')
  await writeFile(copy, `${source}\nexport { ${name} as __capgoGetLocalDependencies }\n`)
  return copy
}

/** Capgo's getLocalDependencies(undefined, undefined) run in `projectDir`: every dependency, native or not. */
export async function capgoLocalDependencies(sdkCopy: string, projectDir: string): Promise<CapgoDependency[]> {
  const script = `const m = await import(${JSON.stringify(pathToFileURL(sdkCopy).href)});
const deps = await m.__capgoGetLocalDependencies(undefined, undefined);
process.stdout.write('\\n${MARKER}' + JSON.stringify(deps) + '\\n');`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: projectDir,
    env: { ...process.env, CAPGO_DISABLE_TELEMETRY: '1', CI: '1', NO_COLOR: '1' },
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  })
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER))
  if (!line) throw new Error(`Capgo printed no result:\n${stdout}`)
  return JSON.parse(line.slice(MARKER.length)) as CapgoDependency[]
}

/** What Capgo's upload sends as native_packages (without requested_version, which the records do not keep). */
export function capgoNativePackages(
  deps: CapgoDependency[],
): { name: string; version: string; ios_checksum?: string; android_checksum?: string }[] {
  return deps
    .filter((dep) => dep.native)
    .map((dep) => ({
      name: dep.name,
      version: dep.version,
      ...(dep.ios_checksum ? { ios_checksum: dep.ios_checksum } : {}),
      ...(dep.android_checksum ? { android_checksum: dep.android_checksum } : {}),
    }))
}
