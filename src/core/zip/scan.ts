import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { LiveUpdateError } from '../errors.js'
import type { BundleErrorCode } from '../error-codes.js'

/** One zip entry to write, in the order it will be written. */
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

const MAX_ENTRIES = 0xffff

function zipError(code: BundleErrorCode, message: string): LiveUpdateError {
  return new LiveUpdateError(code, message, { stage: 'bundle', input: 'path' })
}

/** Byte-wise order of the UTF-8 names: the same on every machine and locale. */
function compareNames(a: ZipSourceEntry, b: ZipSourceEntry): number {
  return Buffer.compare(Buffer.from(a.name), Buffer.from(b.name))
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target)
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}

/**
 * Lists the web output folder as zip entries: sorted, `/` separators, index.html at the root.
 * Symlinks are followed when their target stays inside the folder (the target's content is
 * stored as a regular file) and refused when they leave it.
 */
export async function scanWebDir(webDir: string): Promise<ScannedFolder> {
  const absolute = path.resolve(webDir)
  const rootStat = await stat(absolute).catch(() => undefined)
  if (!rootStat) {
    throw zipError('bundle_folder_missing', `The web output folder ${absolute} does not exist. Build the app first, or point 'path' at the folder that holds index.html.`)
  }
  if (!rootStat.isDirectory()) {
    throw zipError('bundle_folder_not_dir', `'path' must be a folder (the web output, e.g. dist or www), but ${absolute} is a file.`)
  }
  const root = await realpath(absolute)
  const entries: ZipSourceEntry[] = []

  async function walk(dirReal: string, prefix: string, ancestors: Set<string>): Promise<void> {
    const children = await readdir(dirReal, { withFileTypes: true })
    for (const child of children) {
      if (JUNK_NAMES.has(child.name)) continue
      const name = prefix + child.name
      if (child.name.includes('\\')) {
        throw zipError('bundle_name_backslash', `The file name '${name}' contains a backslash, which Android refuses in a bundle. Rename it.`)
      }
      const full = path.join(dirReal, child.name)
      let target = full
      let info = await lstat(full)
      if (info.isSymbolicLink()) {
        target = await realpath(full).catch(() => {
          throw zipError('bundle_symlink_broken', `The symlink '${name}' in the web output points to nothing. Remove it or fix its target.`)
        })
        if (!isInside(root, target)) {
          throw zipError('bundle_symlink_outside', `The symlink '${name}' points outside the web output folder (${target}); a bundle may only contain the folder's own files. Copy the file into the folder instead.`)
        }
        info = await stat(target)
      }
      if (info.isDirectory()) {
        if (ancestors.has(target)) {
          throw zipError('bundle_symlink_loop', `The symlink '${name}' makes a loop inside the web output folder. Remove it.`)
        }
        entries.push({ name: `${name}/`, size: 0, isDirectory: true })
        await walk(target, `${name}/`, new Set([...ancestors, target]))
      } else if (info.isFile()) {
        entries.push({ name, file: target, size: info.size, isDirectory: false })
      }
      // Sockets, FIFOs and devices are not web content: skipped.
    }
  }

  await walk(root, '', new Set([root]))
  const files = entries.filter((entry) => !entry.isDirectory)
  if (files.length === 0) {
    throw zipError('bundle_folder_empty', `The web output folder ${absolute} holds no files. Run the web build first (see 'build-command').`)
  }
  if (!files.some((entry) => entry.name === 'index.html')) {
    const nested = files.find((entry) => entry.name.endsWith('/index.html'))
    const hint = nested
      ? ` It was found at '${nested.name}': point 'path' at '${path.join(absolute, path.posix.dirname(nested.name))}'.`
      : ' Point \'path\' at the folder your web build writes (the one with index.html).'
    throw zipError('bundle_index_html_missing', `index.html must be at the root of the web output folder ${absolute}.${hint}`)
  }
  if (entries.length > MAX_ENTRIES) {
    throw zipError('bundle_entries_too_many', `The web output holds ${entries.length} files and folders; a bundle holds at most ${MAX_ENTRIES} (ZIP64 is not used, for device compatibility).`)
  }
  entries.sort(compareNames)
  return { root, entries, fileCount: files.length, rawSize: files.reduce((sum, entry) => sum + entry.size, 0) }
}
