import path from 'node:path'

/**
 * Whether `target` is `root` or lies under it. Both are resolved first; a name that merely starts
 * with `..` (`..config.js`) is inside, only a first segment of exactly `..` leaves.
 */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(path.resolve(root), path.resolve(target))
  if (relative === '') return true
  if (path.isAbsolute(relative)) return false // another drive on Windows
  return relative !== '..' && !relative.startsWith(`..${path.sep}`)
}
