/**
 * What the plugin accepts in a per-file manifest (Android DownloadService / CapgoUpdater, iOS
 * CapgoUpdater.swift, Capgo's CLI): checked when publishing, again when verifying, and by the test
 * device, so a manifest this project writes is one every plugin follows.
 */
import type { BundleErrorCode } from '../error-codes.js'
import { LiveUpdateError } from '../errors.js'

export const MAX_MANIFEST_FILES = 10_000
/** Capgo's CLI never Brotli-compresses below this, nor when it saves 10 bytes or fewer. */
export const BROTLI_MIN_SIZE = 8192
export const BROTLI_MIN_SAVING = 10
export const BROTLI_SUFFIX = '.br'

export interface ManifestEntry {
  file_name: string
  file_hash: string
  download_url: string
}

/** The device strips one `.br` to find where the file goes. */
export function targetOf(fileName: string): string {
  return fileName.endsWith(BROTLI_SUFFIX) ? fileName.slice(0, -BROTLI_SUFFIX.length) : fileName
}

function deltaError(code: BundleErrorCode, message: string): LiveUpdateError {
  return new LiveUpdateError(code, message, { stage: 'bundle', input: 'delta' })
}

/** Why the plugin would refuse this entry name (manifest_path_fail), or undefined. */
export function manifestNameProblem(fileName: string): string | undefined {
  if (fileName.includes(' ')) return 'contains a space (Capgo refuses those in per-file updates)'
  if (fileName.includes('\\')) return 'contains a backslash (Android refuses it)'
  if (fileName.startsWith('/')) return 'is absolute'
  if (/[\u0000-\u001f\u007f]/.test(fileName)) return 'contains a control character'
  const target = targetOf(fileName)
  if (target === '' || target.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return 'has an empty, "." or ".." path segment (the plugin refuses paths leaving the bundle folder)'
  }
  return undefined
}

/** Every rule at once: count, names, one entry per target. Throws the first problem found. */
export function checkManifestNames(fileNames: string[]): void {
  if (fileNames.length > MAX_MANIFEST_FILES) {
    throw deltaError(
      'bundle_delta_files_too_many',
      `The web output has ${fileNames.length} files; per-file (delta) updates allow at most ${MAX_MANIFEST_FILES}. Publish without 'delta', or ship fewer files.`,
    )
  }
  const targets = new Set<string>()
  for (const name of fileNames) {
    const problem = manifestNameProblem(name)
    if (problem)
      throw deltaError(
        'bundle_delta_file_name_invalid',
        `The file '${name}' ${problem}. Rename it, or publish without 'delta'.`,
      )
    const target = targetOf(name)
    if (targets.has(target))
      throw deltaError(
        'bundle_delta_target_duplicate',
        `Two manifest entries would both be written to '${target}' on the device. Rename one, or publish without 'delta'.`,
      )
    targets.add(target)
  }
}
