import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const run = promisify(execFile)
const here = path.dirname(fileURLToPath(import.meta.url))

/** Info-ZIP `unzip -t`: tests every entry's data against its CRC. */
export async function unzipTest(zipFile: string): Promise<string> {
  const { stdout } = await run('unzip', ['-t', zipFile], { maxBuffer: 64 * 1024 * 1024 })
  return stdout
}

/** Java's ZipInputStream (Android's unzip path): reads local headers in order and checks CRCs. */
export async function javaZipInputStream(
  zipFile: string,
): Promise<{ entries: { method: number; size: number; crc: string; name: string }[] }> {
  const { stdout } = await run('java', [path.join(here, 'ZipCheck.java'), zipFile], { maxBuffer: 64 * 1024 * 1024 })
  const lines = stdout.trim().split('\n')
  const entries = lines
    .filter((line) => !line.startsWith('entries '))
    .map((line) => {
      const [method, size, crc, ...name] = line.split(' ')
      return { method: Number(method), size: Number(size), crc, name: name.join(' ') }
    })
  return { entries }
}

/** `zipinfo -v` lines for a zip, to read per-entry flags as another tool sees them. */
export async function zipinfoVerbose(zipFile: string): Promise<string> {
  const { stdout } = await run('zipinfo', ['-v', zipFile], { maxBuffer: 64 * 1024 * 1024 })
  return stdout
}
