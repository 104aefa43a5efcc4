/**
 * "What changed since the channel's live release": sizes with deltas, files added / removed /
 * changed (the largest changes), the native verdict, the rollout state, and a small chart of the zip
 * size over the channel's recent releases. Pure functions over release records; the same summary
 * feeds the job summary, the PR comment, the CLI's --json and the action outputs.
 */
import type { NativeVerdict } from '../native/compare.js'
import { describeChange } from '../native/compare.js'
import { mdCode, mdText } from '../markdown.js'
import { formatBytes } from '../report.js'

/** The parts of a release record this needs (a ReleaseRecord fits). */
export interface ReleaseSnapshot {
  version: string
  bundle: { zipSize: number; rawSize: number; fileCount: number }
  files: { name: string; size: number; sha256: string }[]
}

export interface SizeChange {
  before: number | null
  after: number
  /** after - before, bytes; null on a first release. */
  delta: number | null
  /** Relative change in %, one decimal; null when there is nothing (or zero) to compare with. */
  percent: number | null
}

export interface FileChange {
  name: string
  kind: 'added' | 'removed' | 'changed'
  before: number | null
  after: number | null
  delta: number
}

export interface RolloutState {
  /** Share of devices getting the new version, 0.01-100 (100 = it is the stable release). */
  percentage: number
  /** The stable release the other devices keep, when rolling out. */
  stableVersion?: string
}

export interface ChangesSummary {
  channel: string
  version: string
  /** The release it is compared with; null on the channel's first release. */
  previousVersion: string | null
  zip: SizeChange
  raw: SizeChange
  files: { added: number; removed: number; changed: number; unchanged: number; largest: FileChange[] }
  native?: NativeVerdict
  rollout?: RolloutState
  /** Zip sizes of the channel's recent releases, oldest first, ending with this one. */
  history: { version: string; zipSize: number }[]
}

export const LARGEST_CHANGES = 20
export const CHART_RELEASES = 10

function sizeChange(before: number | null, after: number): SizeChange {
  if (before === null) return { before, after, delta: null, percent: null }
  const delta = after - before
  return { before, after, delta, percent: before === 0 ? null : Math.round((delta / before) * 1000) / 10 }
}

export function diffFiles(
  previous: ReleaseSnapshot['files'],
  current: ReleaseSnapshot['files'],
): ChangesSummary['files'] {
  const old = new Map(previous.map((file) => [file.name, file]))
  const changes: FileChange[] = []
  let unchanged = 0
  for (const file of current) {
    const before = old.get(file.name)
    old.delete(file.name)
    if (!before) changes.push({ name: file.name, kind: 'added', before: null, after: file.size, delta: file.size })
    else if (before.sha256 !== file.sha256)
      changes.push({
        name: file.name,
        kind: 'changed',
        before: before.size,
        after: file.size,
        delta: file.size - before.size,
      })
    else unchanged++
  }
  for (const file of old.values())
    changes.push({ name: file.name, kind: 'removed', before: file.size, after: null, delta: -file.size })
  const count = (kind: FileChange['kind']) => changes.filter((change) => change.kind === kind).length
  // Biggest byte movement first; a same-size edit still shows (delta 0) after the rest.
  const largest = [...changes]
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, LARGEST_CHANGES)
  return { added: count('added'), removed: count('removed'), changed: count('changed'), unchanged, largest }
}

export interface ChangesInput {
  channel: string
  previous: ReleaseSnapshot | null
  current: ReleaseSnapshot
  native?: NativeVerdict
  rollout?: RolloutState
  /** Earlier releases of the channel with their zip sizes, any order of newest/oldest given by `newestFirst`. */
  earlier?: { version: string; zipSize: number }[]
}

/**
 * `earlier` is newest first (as the channel record's history): the chart shows the last
 * CHART_RELEASES releases, oldest on the left.
 */
export function summarizeChanges(input: ChangesInput): ChangesSummary {
  const { previous, current } = input
  const earlier = (input.earlier ?? [])
    .filter((entry) => entry.version !== current.version)
    .slice(0, CHART_RELEASES - 1)
    .reverse()
  return {
    channel: input.channel,
    version: current.version,
    previousVersion: previous?.version ?? null,
    zip: sizeChange(previous?.bundle.zipSize ?? null, current.bundle.zipSize),
    raw: sizeChange(previous?.bundle.rawSize ?? null, current.bundle.rawSize),
    files: previous
      ? diffFiles(previous.files, current.files)
      : { added: current.files.length, removed: 0, changed: 0, unchanged: 0, largest: [] },
    native: input.native,
    rollout: input.rollout,
    history: [...earlier, { version: current.version, zipSize: current.bundle.zipSize }],
  }
}

function signedBytes(delta: number): string {
  if (delta === 0) return '±0 B'
  return `${delta > 0 ? '+' : '−'}${formatBytes(Math.abs(delta))}`
}

function sizeCell(change: SizeChange): string {
  if (change.before === null || change.delta === null) return formatBytes(change.after)
  const percent = change.percent === null ? '' : `, ${change.percent > 0 ? '+' : ''}${change.percent.toFixed(1)} %`
  return `${formatBytes(change.before)} → ${formatBytes(change.after)} (${signedBytes(change.delta)}${percent})`
}

export function nativeLine(verdict: NativeVerdict | undefined): string {
  if (!verdict || verdict.status === 'off')
    return verdict?.reason ? `not checked: ${mdText(verdict.reason)}` : 'not checked (native-compatibility: off)'
  const since =
    'baselineVersion' in verdict && verdict.baselineVersion ? ` with ${mdText(verdict.baselineVersion)}` : ''
  switch (verdict.status) {
    case 'first-release':
      return `✅ ${mdText(verdict.reason)}`
    case 'compatible': {
      const removed = verdict.changes
        .filter((change) => !change.blocking)
        .map((change) => mdText(describeChange(change)))
      return `✅ compatible${since}${removed.length ? ` (${removed.join('; ')})` : ': no native changes'}`
    }
    case 'accepted':
      return `⚠️ accepted native changes${since}: ${verdict.changes.map((change) => mdText(describeChange(change))).join('; ')}. This fingerprint is now the channel's baseline.`
    case 'incompatible':
      return `❌ incompatible${since}: ${verdict.changes
        .filter((change) => change.blocking)
        .map((change) => mdText(describeChange(change)))
        .join('; ')}`
  }
}

function rolloutLine(summary: ChangesSummary): string {
  const rollout = summary.rollout
  if (!rollout || rollout.percentage >= 100) return `${mdText(summary.version)} is the stable release (all devices)`
  const rest = rollout.stableVersion ? `; the rest stay on ${mdText(rollout.stableVersion)}` : ''
  return `${rollout.percentage} % of devices get ${mdText(summary.version)}${rest}`
}

/** Mermaid xychart of the zip size (KiB) over recent releases; versions are quoted and reduced to safe characters. */
export function sizeChart(history: ChangesSummary['history']): string {
  if (history.length < 2) return ''
  const labels = history.map((entry) => `"${entry.version.replace(/[^0-9A-Za-z.+-]/g, '').slice(0, 32) || '?'}"`)
  const values = history.map((entry) => (entry.zipSize / 1024).toFixed(1))
  const top = Math.max(1, Math.ceil((Math.max(...history.map((entry) => entry.zipSize)) / 1024) * 1.1))
  return [
    '```mermaid',
    'xychart-beta',
    '    title "Zip size (KiB), recent releases"',
    `    x-axis [${labels.join(', ')}]`,
    `    y-axis "KiB" 0 --> ${top}`,
    `    bar [${values.join(', ')}]`,
    '```',
  ].join('\n')
}

function fileRow(change: FileChange): string {
  const size = (value: number | null) => (value === null ? '—' : formatBytes(value))
  return `| ${mdCode(change.name, { inTable: true, max: 160 })} | ${change.kind} | ${size(change.before)} | ${size(change.after)} | ${signedBytes(change.delta)} |`
}

/** The markdown block, at most `maxLength` characters (rows, then the chart, are dropped to fit). */
export function renderChanges(summary: ChangesSummary, maxLength = 12_000): string {
  const heading =
    summary.previousVersion === null
      ? `#### First release on ${mdText(summary.channel)}: nothing to compare`
      : `#### Changes since ${mdText(summary.previousVersion)} on ${mdText(summary.channel)}`
  const files = summary.files
  const rows: [string, string][] = [
    ['Zip', sizeCell(summary.zip)],
    ['Files (raw)', sizeCell(summary.raw)],
  ]
  if (summary.previousVersion !== null)
    rows.push([
      'Files',
      `${files.added} added, ${files.removed} removed, ${files.changed} changed, ${files.unchanged} unchanged`,
    ])
  rows.push(['Native', nativeLine(summary.native)], ['Rollout', rolloutLine(summary)])
  const head = [
    heading,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([name, value]) => `| ${name} | ${value.replace(/\|/g, '\\|')} |`),
    '',
  ]
  const chart = sizeChart(summary.history)
  const build = (count: number, withChart: boolean): string => {
    const lines = [...head]
    if (count > 0) {
      const shown = files.largest.slice(0, count)
      const total = files.added + files.removed + files.changed
      lines.push(
        `<details><summary>Largest file changes (${shown.length} of ${total})</summary>`,
        '',
        '| File | Change | Before | After | Δ |',
        '|---|---|---|---|---|',
        ...shown.map(fileRow),
        '',
        '</details>',
        '',
      )
    }
    if (withChart && chart) lines.push(chart, '')
    return lines.join('\n')
  }
  for (let count = files.largest.length; count >= 0; count--) {
    const withChart = build(count, true)
    if (withChart.length <= maxLength) return withChart
    const without = build(count, false)
    if (without.length <= maxLength) return without
  }
  return build(0, false).slice(0, maxLength)
}

/** For the CLI's --json. */
export function changesJson(summary: ChangesSummary): Record<string, unknown> {
  return {
    channel: summary.channel,
    version: summary.version,
    previousVersion: summary.previousVersion,
    zip: summary.zip,
    raw: summary.raw,
    files: summary.files,
    native: summary.native ?? { status: 'off' },
    rollout: summary.rollout ?? { percentage: 100 },
    history: summary.history,
  }
}

/** Action outputs: `previous-version` ('' on a first release) and `size-delta` (zip bytes, signed; '' on a first release). */
export function changesOutputs(summary: ChangesSummary): Record<string, string> {
  return {
    'previous-version': summary.previousVersion ?? '',
    'size-delta': summary.zip.delta === null ? '' : String(summary.zip.delta),
  }
}

/** One plain-text line for a terminal: "since 1.0.0 on production: zip 7.8 KiB → 8.8 KiB (+1000 B, +12.5 %); 1 added, …". */
export function changesLine(summary: ChangesSummary): string {
  if (summary.previousVersion === null) return `first release on ${summary.channel}: nothing to compare`
  const { files } = summary
  return `since ${summary.previousVersion} on ${summary.channel}: zip ${sizeCell(summary.zip)}; ${files.added} added, ${files.removed} removed, ${files.changed} changed`
}
