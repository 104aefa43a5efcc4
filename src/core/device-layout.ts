/**
 * The entry names and layouts a phone can install as they were verified (docs/verify.md says why
 * each rule exists). Android reads the local headers with ZipInputStream and extracts through
 * `resolvePathInsideDirectory`; iOS reads the central directory with ZIPFoundation. A layout that
 * either refuses, or that they would install differently (or differently from each other), is
 * refused here, naming the entry.
 */
import { ZipFormatError } from './zip/entry-check.ts'
import { FLAG_UTF8, MAX_COMPONENT_BYTES, MAX_ENTRY_NAME_BYTES } from './zip/format.ts'
import { isValidUtf8, type ZipEntry } from './zip/reader.ts'

/** The bundler's limits (zip/format.ts), so that what it writes, verify accepts. */
export { MAX_COMPONENT_BYTES } from './zip/format.ts'
export const MAX_NAME_BYTES = MAX_ENTRY_NAME_BYTES

const UNIX_HOST = 3
const S_IFMT = 0o170000
const S_IFLNK = 0o120000

function fail(message: string): never {
  throw new ZipFormatError(message)
}

/** Step 6 and the layout rules: throws ZipFormatError for the first entry a device could not install as verified. */
export function checkBundleEntryNames(entries: ZipEntry[]): void {
  const files = new Map<string, string>()
  const folders = new Set<string>()
  const normalForms = new Map<string, string>()
  for (const entry of entries) {
    const { name, rawName } = entry
    if (rawName.length === 0) fail('an entry has an empty name')
    if (!isValidUtf8(rawName)) {
      fail(
        `entry '${name}' has a name that is not valid UTF-8 (bytes ${rawName.toString('hex')}); Android's ZipInputStream throws on it`,
      )
    }
    if (!(entry.flags & FLAG_UTF8) && /[^\x00-\x7f]/.test(name)) {
      fail(
        `entry '${name}' has a non-ASCII name without the UTF-8 flag (bit 11): Android reads it as UTF-8, iOS as CP437, so the two would install different file names`,
      )
    }
    if (name.includes('\\')) fail(`entry '${name}' contains a backslash; Android rejects it (names must use '/')`)
    if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) fail(`entry '${name}' is an absolute path`)
    if (name.includes('\0')) fail(`entry '${name}' contains a NUL character`)
    const segments = name.split('/')
    if (segments.includes('..'))
      fail(`entry '${name}' has a '..' segment; devices reject paths escaping the bundle folder`)
    if (rawName.length > MAX_NAME_BYTES)
      fail(
        `entry '${name.slice(0, 60)}…' has a ${rawName.length}-byte name; at most ${MAX_NAME_BYTES} bytes fit under the folder the plugin extracts into (PATH_MAX)`,
      )
    const long = segments.find((segment) => Buffer.byteLength(segment) > MAX_COMPONENT_BYTES)
    if (long !== undefined)
      fail(
        `entry '${name}' has a path component of ${Buffer.byteLength(long)} bytes; phone file systems allow at most ${MAX_COMPONENT_BYTES}`,
      )
    if (isSymlink(entry))
      fail(
        `entry '${name}' is a symbolic link: Android would install a file holding the link text, iOS a link, so the bundle would not be what was verified (bundle the target file itself)`,
      )
    // Android resolves each name with File.getCanonicalFile: '.' and empty segments vanish.
    const parts = segments.filter((segment) => segment !== '' && segment !== '.')
    if (parts.length === 0)
      fail(`entry '${name}' names the bundle folder itself; Android refuses it ("Path escapes base directory")`)
    const path = parts.join('/')
    const isFolder = name.endsWith('/')
    if (isFolder) folders.add(path)
    else {
      const earlier = files.get(path)
      // Android (local headers) and iOS (central directory) could pick different copies of a duplicate.
      if (earlier !== undefined)
        fail(
          earlier === name
            ? `entry '${name}' appears twice`
            : `entries '${earlier}' and '${name}' are the same file on a device ('.' or empty segments)`,
        )
      files.set(path, name)
    }
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/'))
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/')
      const normal = prefix.normalize('NFC')
      const twin = normalForms.get(normal)
      if (twin !== undefined && twin !== prefix) {
        fail(
          `entries '${twin}' and '${prefix}' differ only in Unicode normalization (NFC/NFD): iOS (APFS) treats them as one name, so one would overwrite the other`,
        )
      }
      normalForms.set(normal, prefix)
    }
  }
  for (const [path, name] of files) {
    if (folders.has(path))
      fail(`entry '${name}' is a file, and also a folder of other entries: no device can install both`)
  }
  if (!files.has('index.html')) {
    const nested = [...files.keys()].find((path) => path.endsWith('/index.html'))
    fail(
      `no index.html at the zip root${nested ? ` (found '${nested}': zip the CONTENTS of the web output folder, not the folder)` : ''}`,
    )
  }
}

function isSymlink(entry: ZipEntry): boolean {
  return entry.madeBy === UNIX_HOST && (((entry.externalAttributes ?? 0) >>> 16) & S_IFMT) === S_IFLNK
}
