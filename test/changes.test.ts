import { describe, expect, it } from '@jest/globals'
import MarkdownIt from 'markdown-it'
import {
  changesJson,
  changesLine,
  changesOutputs,
  renderChanges,
  sizeChart,
  summarizeChanges,
  type ReleaseSnapshot,
} from '../src/core/report/changes.js'

const sha = (n: number) => n.toString(16).padStart(64, '0')
const release = (version: string, files: [string, number, number][], zipSize: number): ReleaseSnapshot => ({
  version,
  bundle: { zipSize, rawSize: files.reduce((sum, [, size]) => sum + size, 0), fileCount: files.length },
  files: files.map(([name, size, hash]) => ({ name, size, sha256: sha(hash) })),
})

const v1 = release(
  '1.0.0',
  [
    ['index.html', 500, 1],
    ['app.js', 10_000, 2],
    ['old.css', 300, 3],
    ['same.png', 4000, 4],
  ],
  8000,
)
const v2 = release(
  '1.1.0',
  [
    ['index.html', 500, 1],
    ['app.js', 12_048, 20],
    ['same.png', 4000, 4],
    ['new/chunk.js', 2048, 5],
  ],
  9000,
)

// GitHub renders with cmark-gfm; markdown-it with HTML on is the stricter stand-in for "does anything become live?".
const md = new MarkdownIt({ html: true, linkify: true })

describe('summarizeChanges', () => {
  it('names the added and the changed file with correct sizes, and the deltas in bytes and %', () => {
    const summary = summarizeChanges({
      channel: 'production',
      previous: v1,
      current: v2,
      earlier: [{ version: '1.0.0', zipSize: 8000 }],
    })
    expect(summary.previousVersion).toBe('1.0.0')
    expect(summary.zip).toEqual({ before: 8000, after: 9000, delta: 1000, percent: 12.5 })
    expect(summary.raw).toEqual({ before: 14_800, after: 18_596, delta: 3796, percent: 25.6 })
    expect(summary.files).toMatchObject({ added: 1, removed: 1, changed: 1, unchanged: 2 })
    expect(summary.files.largest).toEqual([
      { name: 'app.js', kind: 'changed', before: 10_000, after: 12_048, delta: 2048 },
      { name: 'new/chunk.js', kind: 'added', before: null, after: 2048, delta: 2048 },
      { name: 'old.css', kind: 'removed', before: 300, after: null, delta: -300 },
    ])
    expect(changesOutputs(summary)).toEqual({ 'previous-version': '1.0.0', 'size-delta': '1000' })
    expect(changesLine(summary)).toBe(
      'since 1.0.0 on production: zip 7.8 KiB → 8.8 KiB (+1000 B, +12.5 %); 1 added, 1 removed, 1 changed',
    )
    const markdown = renderChanges(summary)
    expect(markdown).toContain('#### Changes since 1.0.0 on production')
    expect(markdown).toContain('| 7.8 KiB → 8.8 KiB (+1000 B, +12.5 %) |')
    expect(markdown).toContain('| `new/chunk.js` | added | — | 2.0 KiB | +2.0 KiB |')
    expect(markdown).toContain('| `app.js` | changed | 9.8 KiB | 11.8 KiB | +2.0 KiB |')
    expect(markdown).toContain('xychart-beta')
    expect(markdown).toContain('x-axis ["1.0.0", "1.1.0"]')
    expect(markdown).toContain('bar [7.8, 8.8]')
  })

  it('first release: says so, no diff, empty outputs', () => {
    const summary = summarizeChanges({ channel: 'beta', previous: null, current: v1 })
    expect(renderChanges(summary)).toContain('#### First release on beta: nothing to compare')
    expect(renderChanges(summary)).not.toContain('xychart')
    expect(changesOutputs(summary)).toEqual({ 'previous-version': '', 'size-delta': '' })
    expect(changesJson(summary)).toMatchObject({
      previousVersion: null,
      zip: { before: null, after: 8000, delta: null },
    })
  })

  it('keeps the 20 largest changes, and the chart to the 10 most recent releases', () => {
    const many = release(
      '2.0.0',
      Array.from({ length: 40 }, (_, i) => [`f${i}.js`, 100 * (i + 1), 100 + i] as [string, number, number]),
      5000,
    )
    const earlier = Array.from({ length: 15 }, (_, i) => ({ version: `1.${14 - i}.0`, zipSize: 1000 * (15 - i) }))
    const summary = summarizeChanges({ channel: 'production', previous: v1, current: many, earlier })
    expect(summary.files.largest).toHaveLength(20)
    expect(summary.files.largest.slice(0, 2).map((c) => [c.name, c.kind])).toEqual([
      ['app.js', 'removed'],
      ['f39.js', 'added'],
    ])
    expect(summary.history.map((h) => h.version)).toEqual([
      '1.6.0',
      '1.7.0',
      '1.8.0',
      '1.9.0',
      '1.10.0',
      '1.11.0',
      '1.12.0',
      '1.13.0',
      '1.14.0',
      '2.0.0',
    ])
  })

  it('rollout and native verdict lines', () => {
    const markdown = renderChanges(
      summarizeChanges({
        channel: 'production',
        previous: v1,
        current: v2,
        rollout: { percentage: 10, stableVersion: '1.0.0' },
        native: {
          status: 'accepted',
          baselineVersion: '1.0.0',
          changes: [
            {
              name: 'plugin-a',
              kind: 'changed',
              before: '1.0.0',
              after: '1.1.0',
              details: ['version 1.0.0 → 1.1.0'],
              blocking: true,
            },
          ],
        },
      }),
    )
    expect(markdown).toContain('| Rollout | 10 % of devices get 1.1.0; the rest stay on 1.0.0 |')
    expect(markdown).toMatch(
      /\| Native \| ⚠️ accepted native changes with 1\.0\.0: plugin-a: version 1\.0\.0 → 1\.1\.0\. This fingerprint is now the channel's baseline\. \|/,
    )
  })
})

describe('a | in a summary value', () => {
  it('stays inside its cell: the Native row keeps two cells and shows the text as given', () => {
    const markdown = renderChanges(
      summarizeChanges({
        channel: 'production',
        previous: v1,
        current: v2,
        native: { status: 'first-release', reason: 'ranges ^1.0.0 || ^2.0.0 differ' },
      }),
    )
    const row = /<tr>\s*<td>Native<\/td>\s*((?:<td>[\s\S]*?<\/td>\s*)+)<\/tr>/.exec(md.render(markdown))
    expect(row?.[1].trim()).toBe('<td>✅ ranges ^1.0.0 || ^2.0.0 differ</td>')
  })
})

describe('file names cannot inject markdown, HTML or mentions', () => {
  const evil = [
    'x|y` `<img src=x onerror=alert(1)>.js',
    '@octocat [click](https://evil.example) #1 **bold**.js',
    'line\nbreak| forged | row |.js',
    'ab\u202egnp.js',
    '</details><script>alert(1)</script>',
  ]
  const current = release(
    '1.1.0',
    evil.map((name, i) => [name, 100 + i, 50 + i] as [string, number, number]),
    9000,
  )
  const markdown = renderChanges(summarizeChanges({ channel: 'production', previous: v1, current }))

  it('every name sits in its own row, inside a code span, with no live HTML, link or emphasis', () => {
    const tokens = md.parse(markdown, {})
    const inline = tokens.filter((t) => t.type === 'inline').flatMap((t) => t.children ?? [])
    expect(
      inline
        .filter((t) => t.type === 'html_inline')
        .map((t) => t.content)
        .filter((html) => !/^<\/?(details|summary)>$/.test(html)),
    ).toEqual([])
    expect(tokens.filter((t) => t.type === 'html_block').map((t) => t.content.trim())).toEqual(
      expect.not.arrayContaining([expect.stringContaining('script')]),
    )
    expect(inline.filter((t) => ['link_open', 'strong_open', 'em_open', 'image'].includes(t.type))).toEqual([])
    // Mentions and #refs are linked by GitHub in text, never in code: no such text outside code spans.
    expect(inline.filter((t) => t.type === 'text' && /@octocat|#1/.test(t.content))).toEqual([])
    const rows = tokens.filter((t) => t.type === 'tr_open').length
    // head table: header + 5 rows; file table: header + evil names + removed files of v1
    expect(rows).toBe(1 + 5 + 1 + evil.length + v1.files.length)
    const html = md.render(markdown)
    expect(html).not.toMatch(/<img|<script|<a /)
    expect(html).not.toContain('\u202e')
    expect(html).toContain('ab\ufffdgnp.js')
  })

  it('the chart quotes versions and strips anything else', () => {
    expect(
      sizeChart([
        { version: '1.0.0"] ; click', zipSize: 1024 },
        { version: '1.1.0', zipSize: 2048 },
      ]),
    ).toContain('x-axis ["1.0.0click", "1.1.0"]')
  })

  it('stays within the size budget with long names and many files, dropping rows rather than breaking tables', () => {
    const long = release(
      '3.0.0',
      Array.from(
        { length: 5000 },
        (_, i) => [`${'deep/'.repeat(60)}file-${i}.js`, 1000 + i, 9000 + i] as [string, number, number],
      ),
      9000,
    )
    const budget = 4000
    const out = renderChanges(summarizeChanges({ channel: 'production', previous: v1, current: long }), budget)
    expect(out.length).toBeLessThanOrEqual(budget)
    expect(out).toContain('#### Changes since 1.0.0 on production')
    expect(out.split('\n').filter((line) => line.startsWith('| `')).length).toBeGreaterThan(0)
    expect(renderChanges(summarizeChanges({ channel: 'production', previous: v1, current: long })).length).toBeLessThan(
      65_536 / 4,
    )
  })
})
