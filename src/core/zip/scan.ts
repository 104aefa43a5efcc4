import { type Dirent, lstatSync, readdirSync, realpathSync, type Stats, statSync } from 'node:fs'
import { isUtf8 } from 'node:buffer'
import path from 'node:path'
import type { BundleErrorCode } from '../error-codes.js'
import { LiveUpdateError } from '../errors.js'
import { isInside } from '../paths.js'
import { MAX_COMPONENT_BYTES, MAX_ENTRIES, MAX_ENTRY_NAME_BYTES, MAX_FILE_SIZE } from './format.js'

/** One zip entry to write. The scan lists them in name order; the writer's order is write-order.ts's. */
export interface ZipSourceEntry {
  /** Name inside the zip: `/`-separated, relative, directories end with `/`. */
  name: string
  /** Absolute path of the file on disk (the symlink target for in-folder symlinks); absent for directories. */
  file?: string
  size: number
  isDirectory: boolean
}

export interface ScannedFolder {
  root: string
  entries: ZipSourceEntry[]
  fileCount: number
  rawSize: number
}

/** OS and tool junk that never belongs in a bundle; everything else, dotfiles included, is kept. */
const JUNK_NAMES = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini', '__MACOSX', '.git', '.svn', '.hg'])

function zipError(code: BundleErrorCode, message: string, cause?: unknown): LiveUpdateError {
  return new LiveUpdateError(code, message, { stage: 'bundle', input: 'path', cause })
}

/** File-system failures as specific errors naming the path (never a raw ENOENT or EACCES). */
function fsError(error: unknown, where: string): LiveUpdateError {
  const code = (error as NodeJS.ErrnoException)?.code
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return zipError(
        'bundle_file_permission_denied',
        `Permission denied reading ${where} in the web output. Make it readable by the user running the bundle.`,
        error,
      )
    case 'ENAMETOOLONG':
      return zipError(
        'bundle_path_too_long',
        `The path ${where} is longer than the file system allows (ENAMETOOLONG; at most 4,096 bytes, 255 per name). Shorten the folder names.`,
        error,
      )
    case 'ELOOP':
      return zipError('bundle_symlink_loop', `${where} is a symlink loop. Remove it.`, error)
    case 'ENOENT':
      return zipError(
        'bundle_file_vanished',
        `${where} disappeared while the web output was being read. Make sure the build has finished before bundling.`,
        error,
      )
    default:
      return zipError(
        'bundle_file_unreadable',
        `Could not read ${where} in the web output: ${(error as Error).message}`,
        error,
      )
  }
}

function guard<T>(where: string, action: () => T): T {
  try {
    return action()
  } catch (error) {
    throw fsError(error, where)
  }
}

/** A name shown in a message: printable ASCII kept, anything else as \xNN. */
function showBytes(raw: Buffer): string {
  return [...raw]
    .map((byte) =>
      byte >= 0x20 && byte < 0x7f && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, '0')}`,
    )
    .join('')
}

/** Sorted by the names' UTF-8 bytes: the same on every machine and locale. Each name is encoded once. */
function sortByNameBytes(entries: ZipSourceEntry[]): ZipSourceEntry[] {
  return entries
    .map((entry) => ({ entry, key: Buffer.from(entry.name) }))
    .sort((a, b) => Buffer.compare(a.key, b.key))
    .map(({ entry }) => entry)
}

function formatBytes(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB (${bytes.toLocaleString('en-US')} bytes)`
}

/** Checks what the scan knows against the no-ZIP64 and device limits, before any work. */
function checkName(name: string, component: Buffer): void {
  if (component.length > MAX_COMPONENT_BYTES) {
    throw zipError(
      'bundle_name_too_long',
      `The name '${name}' has a part of ${component.length} bytes; phones refuse names over ${MAX_COMPONENT_BYTES} bytes. Rename it.`,
    )
  }
  const bytes = Buffer.byteLength(name)
  if (bytes > MAX_ENTRY_NAME_BYTES) {
    throw zipError(
      'bundle_name_too_long',
      `The path '${name.slice(0, 200)}...' is ${bytes} bytes long; a bundle path may be at most ${MAX_ENTRY_NAME_BYTES} bytes (phones extract under PATH_MAX). Shorten it (symlinked folders nest their targets' names).`,
    )
  }
}

/**
 * Lists the web output folder as zip entries: sorted, `/` separators, index.html at the root.
 * Symlinks are followed when their target stays inside the folder (the target's content is
 * stored as a regular file) and refused when they leave it. Names are read as bytes and must be
 * UTF-8. Synchronous calls: thousands of async lstat round trips cost far more than the work.
 */
export interface ScanOptions {
  /** Called with the running total of file bytes as the scan goes (to start work early). */
  onBytes?: (total: number) => void
}

export async function scanWebDir(webDir: string, options: ScanOptions = {}): Promise<ScannedFolder> {
  const absolute = path.resolve(webDir)
  let rootStat: Stats
  try {
    rootStat = statSync(absolute)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw zipError(
        'bundle_folder_missing',
        `The web output folder ${absolute} does not exist. Build the app first, or point 'path' at the folder that holds index.html.`,
      )
    }
    throw fsError(error, absolute)
  }
  if (!rootStat.isDirectory()) {
    throw zipError(
      'bundle_folder_not_dir',
      `'path' must be a folder (the web output, e.g. dist or www), but ${absolute} is a file.`,
    )
  }
  const root = guard(absolute, () => realpathSync(absolute))
  const entries: ZipSourceEntry[] = []
  let seen = 0

  function walk(dirReal: string, prefix: string, ancestors: Set<string>): void {
    const children = guard(prefix ? `'${prefix}'` : absolute, () =>
      readdirSync(dirReal, { withFileTypes: true, encoding: 'buffer' }),
    ) as Dirent<Buffer>[]
    for (const child of children) {
      const raw = child.name
      if (!isUtf8(raw)) {
        throw zipError(
          'bundle_name_not_utf8',
          `The name '${prefix}${showBytes(raw)}' in the web output is not valid UTF-8, so no phone can extract it under that name. Rename it.`,
        )
      }
      const childName = raw.toString('utf8')
      if (JUNK_NAMES.has(childName)) continue
      const name = prefix + childName
      if (childName.includes('\\')) {
        throw zipError(
          'bundle_name_backslash',
          `The file name '${name}' contains a backslash, which Android refuses in a bundle. Rename it.`,
        )
      }
      checkName(name, raw)
      // dirReal is a real path (normalized) and childName one component: no path.join needed.
      const full = dirReal.endsWith(path.sep) ? dirReal + childName : dirReal + path.sep + childName
      let target = full
      let info = guard(`'${name}'`, () => lstatSync(full))
      if (info.isSymbolicLink()) {
        try {
          target = realpathSync(full)
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code
          if (code === 'ENOENT')
            throw zipError(
              'bundle_symlink_broken',
              `The symlink '${name}' in the web output points to nothing. Remove it or fix its target.`,
            )
          throw fsError(error, `'${name}'`)
        }
        if (!isInside(root, target)) {
          throw zipError(
            'bundle_symlink_outside',
            `The symlink '${name}' points outside the web output folder (${target}); a bundle may only contain the folder's own files. Copy the file into the folder instead.`,
          )
        }
        info = guard(`'${name}'`, () => statSync(target))
      }
      if (info.isDirectory()) {
        if (ancestors.has(target)) {
          throw zipError(
            'bundle_symlink_loop',
            `The symlink '${name}' makes a loop inside the web output folder. Remove it.`,
          )
        }
        entries.push({ name: `${name}/`, size: 0, isDirectory: true })
        walk(target, `${name}/`, new Set([...ancestors, target]))
      } else if (info.isFile()) {
        if (info.size > MAX_FILE_SIZE) {
          throw zipError(
            'bundle_file_too_large',
            `'${name}' is ${formatBytes(info.size)}; a bundle file must be under 4 GiB (at most ${MAX_FILE_SIZE.toLocaleString('en-US')} bytes: bundles do not use ZIP64, for device compatibility). Leave it out of the web output or split it.`,
          )
        }
        entries.push({ name, file: target, size: info.size, isDirectory: false })
        seen += info.size
        options.onBytes?.(seen)
      }
      // Sockets, FIFOs and devices are not web content: skipped.
      if (entries.length > MAX_ENTRIES) throw tooManyEntries(`more than ${MAX_ENTRIES.toLocaleString('en-US')}`)
    }
  }

  walk(root, '', new Set([root]))
  const files = entries.filter((entry) => !entry.isDirectory)
  if (files.length === 0) {
    throw zipError(
      'bundle_folder_empty',
      `The web output folder ${absolute} holds no files. Run the web build first (see 'build-command').`,
    )
  }
  if (!files.some((entry) => entry.name === 'index.html')) {
    const nested = files.find((entry) => entry.name.endsWith('/index.html'))
    const hint = nested
      ? ` It was found at '${nested.name}': point 'path' at '${path.join(absolute, path.posix.dirname(nested.name))}'.`
      : " Point 'path' at the folder your web build writes (the one with index.html)."
    throw zipError(
      'bundle_index_html_missing',
      `index.html must be at the root of the web output folder ${absolute}.${hint}`,
    )
  }
  refuseUnicodeTwins(entries)
  return {
    root,
    entries: sortByNameBytes(entries),
    fileCount: files.length,
    rawSize: files.reduce((sum, entry) => sum + entry.size, 0),
  }
}

/**
 * 'é.js' written precomposed (NFC) and decomposed (NFD) are two names on Linux and Android, one on
 * iOS (APFS compares names normalized): one file would overwrite the other on the phone. The
 * verify stage refuses such a zip too (device-layout.ts); refused here, it costs no upload.
 */
function refuseUnicodeTwins(entries: ZipSourceEntry[]): void {
  const seen = new Map<string, string>()
  for (const entry of entries) {
    const name = entry.isDirectory ? entry.name.slice(0, -1) : entry.name
    // ASCII names are their own normal form: skip the work for the usual web build.
    if (!/[^\x00-\x7f]/.test(name)) continue
    const normal = name.normalize('NFC')
    const twin = seen.get(normal)
    if (twin !== undefined && twin !== name) {
      throw zipError(
        'bundle_name_unicode_twin',
        `The names '${twin}' and '${name}' in the web output differ only in Unicode normalization (NFC/NFD): iOS treats them as one name, so one file would overwrite the other on the phone. Rename one of them.`,
      )
    }
    seen.set(normal, name)
  }
}

function tooManyEntries(count: string): LiveUpdateError {
  return zipError(
    'bundle_entries_too_many',
    `The web output holds ${count} files and folders; a bundle holds at most ${MAX_ENTRIES.toLocaleString('en-US')} (the format's limit without ZIP64, which bundles do not use for device compatibility). Leave out what the app does not load (source maps, for instance).`,
  )
}
