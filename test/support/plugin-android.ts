/**
 * The Capacitor updater plugin's own Android code, run in a plain JVM: CryptoCipher.java and
 * Logger.java from the @capgo/capacitor-updater npm package compiled as they are, and the unzip
 * path of CapgoUpdater.java (unzip, resolvePathInsideDirectory, flattenAssets, ...) cut out of the
 * package's source verbatim and pasted into PluginDevice.java.in, against the tiny Android stubs
 * in android-stubs/. The whole CapgoUpdater needs WorkManager, OkHttp and org.json; these methods
 * need nothing but java.io and java.util.zip.
 */
import { execFile, spawn } from 'node:child_process'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '..', '..')
export const PLUGIN_JAVA = path.join(
  repo,
  'node_modules/@capgo/capacitor-updater/android/src/main/java/ee/forgr/capacitor_updater',
)

/** The plugin code pasted into the harness, found by these openings in CapgoUpdater.java. */
const PIECES = [
  'private final FilenameFilter filter =',
  'static boolean containsPathTraversalSegment(',
  'static File resolvePathInsideDirectory(',
  'File unzip(final String id, final File zipFile, final String dest) throws IOException {',
  'File unzip(final String id, final File zipFile, final String dest, final int bufferSize)',
  'private void flattenAssets(',
  'private void assertPathInsideBundleRoot(',
]

/** From `start` to its matching closing brace (and a `;` right after it, for a field). */
function cutBlock(source: string, opening: string): string {
  const start = source.indexOf(opening)
  if (start < 0) throw new Error(`CapgoUpdater.java no longer has '${opening}': update test/support/plugin-android.ts`)
  let depth = 0
  let seenBrace = false
  for (let i = start; i < source.length; i++) {
    const c = source[i]
    if (c === '"' || c === "'") {
      for (i++; source[i] !== c; i++) if (source[i] === '\\') i++
      continue
    }
    if (c === '{') {
      depth++
      seenBrace = true
    } else if (c === '}') {
      depth--
      if (seenBrace && depth === 0) return source.slice(start, source[i + 1] === ';' ? i + 2 : i + 1)
    }
  }
  throw new Error(`unbalanced braces after '${opening}'`)
}

async function javaFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await javaFiles(full)))
    else if (entry.name.endsWith('.java')) out.push(full)
  }
  return out
}

/** Compile the harness into `work/classes`; returns the class path. */
export async function compilePluginDevice(work: string): Promise<string> {
  const source = await readFile(path.join(PLUGIN_JAVA, 'CapgoUpdater.java'), 'utf8')
  const pasted = PIECES.map((opening) => cutBlock(source, opening)).join('\n\n')
  const template = await readFile(path.join(here, 'PluginDevice.java.in'), 'utf8')
  const generated = path.join(work, 'src', 'ee', 'forgr', 'capacitor_updater', 'PluginDevice.java')
  await mkdir(path.dirname(generated), { recursive: true })
  await writeFile(generated, template.replace('//@EXTRACTED', pasted))
  const classes = path.join(work, 'classes')
  const stubs = await javaFiles(path.join(here, 'android-stubs'))
  await run(
    'javac',
    [
      '-nowarn',
      '-encoding',
      'UTF-8',
      '-d',
      classes,
      ...stubs,
      path.join(PLUGIN_JAVA, 'CryptoCipher.java'),
      path.join(PLUGIN_JAVA, 'Logger.java'),
      generated,
    ],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  )
  return classes
}

export interface DeviceCase {
  name: string
  encryptedFile: string
  publicKeyFile: string
  sessionKey: string
  checksum: string
}

export interface DeviceResult {
  accepted: boolean
  /** ACCEPT: the installed files as `path:size`; REJECT: where and why. */
  detail: string
}

/** Install every case on the "phone", all in one JVM (one start, a few seconds in all). */
export async function runPluginDevice(
  classes: string,
  work: string,
  cases: DeviceCase[],
): Promise<Map<string, DeviceResult>> {
  const input = cases
    .map((c) => [c.name, c.encryptedFile, c.publicKeyFile, c.sessionKey, c.checksum].join('\t'))
    .join('\n')
  const root = path.join(work, 'phone')
  await mkdir(root, { recursive: true })
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      'java',
      ['-Xshare:auto', '-XX:TieredStopAtLevel=1', '-cp', classes, 'ee.forgr.capacitor_updater.PluginDevice', root],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (err += chunk))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`PluginDevice exited ${code}: ${err}`))))
    child.stdin.end(`${input}\n`)
  })
  const results = new Map<string, DeviceResult>()
  for (const line of stdout.trim().split('\n')) {
    const [name, verdict, ...rest] = line.split('\t')
    results.set(name, { accepted: verdict === 'ACCEPT', detail: rest.join('\t') })
  }
  return results
}
