/**
 * Version comparisons the responder needs (native floor, plugin features). Native version names
 * are not always semver ("2.1", "3"), so missing minor/patch parts count as 0.
 */
export interface LooseVersion {
  parts: [number, number, number]
  prerelease: string[]
}

const LOOSE = /^v?(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(?:-([0-9A-Za-z.-]{1,64}))?(?:\+[0-9A-Za-z.-]{0,64})?$/

export function parseLooseVersion(text: string): LooseVersion | undefined {
  const match = LOOSE.exec(text.trim())
  if (!match) return undefined
  return {
    parts: [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)],
    prerelease: match[4] ? match[4].split('.') : [],
  }
}

/** Semver precedence: -1, 0 or 1 (build metadata ignored). */
export function compareVersions(a: LooseVersion, b: LooseVersion): number {
  for (let i = 0; i < 3; i++) {
    if (a.parts[i] !== b.parts[i]) return a.parts[i] < b.parts[i] ? -1 : 1
  }
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return a.prerelease.length === b.prerelease.length ? 0 : a.prerelease.length === 0 ? 1 : -1
  }
  const length = Math.min(a.prerelease.length, b.prerelease.length)
  for (let i = 0; i < length; i++) {
    const x = a.prerelease[i]
    const y = b.prerelease[i]
    if (x === y) continue
    const xNum = /^\d+$/.test(x)
    const yNum = /^\d+$/.test(y)
    if (xNum && yNum) return Number(x) < Number(y) ? -1 : 1
    if (xNum !== yNum) return xNum ? -1 : 1
    return x < y ? -1 : 1
  }
  return Math.sign(a.prerelease.length - b.prerelease.length)
}

/**
 * Plugins learned per-file manifests in 5.10.0, 6.25.0 and 7.0.35 (every 8.x has them): what
 * Capgo's backend checks before it sends one. Older plugins get the zip only.
 */
export function pluginSupportsManifest(pluginVersion: string): boolean {
  const version = parseLooseVersion(pluginVersion)
  if (!version) return false
  const [major] = version.parts
  const floor: Record<number, string> = { 5: '5.10.0', 6: '6.25.0', 7: '7.0.35' }
  if (major >= 8) return true
  if (!floor[major]) return false
  return compareVersions(version, parseLooseVersion(floor[major]) as LooseVersion) >= 0
}
