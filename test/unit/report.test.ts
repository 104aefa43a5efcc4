/**
 * renderReport in-process, for every status and failure kind, and rendered to HTML (markdown-it
 * with GFM tables, raw HTML and autolinks on, close to what GitHub does) to prove that hostile text
 * stays text.
 */
import { describe, expect, it } from '@jest/globals'
import MarkdownIt from 'markdown-it'
import { mdCode, mdText } from '../../src/core/markdown.js'
import { renderReport, type ReportView } from '../../src/core/report.js'
import type { BundleResult, PublishResult } from '../../src/core/types.js'

const bundle: BundleResult = {
  version: '1.2.3',
  sha256: 'a'.repeat(64),
  checksum: 'b'.repeat(512),
  signature: 'c'.repeat(512),
  sessionKey: 'aXY=:d3JhcHBlZA==',
  keyId: 'MIIBCgKCAQEAtestkey1',
  fileCount: 7,
  rawSize: 2 * 1024 * 1024,
  zipSize: 481 * 1024,
  encryptedSize: 481 * 1024 + 16,
  encryptedSha256: 'c'.repeat(64),
  largestFiles: [{ path: 'assets/vendor.js', size: 740 * 1024 }],
  files: [],
}

function result(overrides: Partial<PublishResult> = {}): PublishResult {
  return {
    status: 'published',
    appId: 'com.example.app',
    version: '1.2.3',
    channel: 'production',
    bundle,
    bundleUrl: 'https://updates.example.com/com.example.app/1.2.3/cccc.zip',
    bundleId: '42',
    registrar: 'capgo',
    verified: true,
    timings: [{ stage: 'bundle', ms: 12 }],
    ...overrides,
  }
}

function view(overrides: Partial<ReportView> = {}): ReportView {
  return {
    appId: 'com.example.app',
    version: '1.2.3',
    channel: 'production',
    dryRun: false,
    server: 'capgo',
    storage: 's3://bucket (https://s3.example.com)',
    ...overrides,
  }
}

const headingOf = (markdown: string) => markdown.split('\n')[0]

describe('renderReport: the verdict says what was and was not done', () => {
  it('published and verified', () => {
    const markdown = renderReport(view({ result: result() }))
    expect(headingOf(markdown)).toBe('### ✅ com.example.app 1.2.3 → production: published')
    expect(markdown).toContain(
      'Uploaded, downloaded and checked as a device would, registered with capgo; channel `production` points at it.',
    )
  })

  it('shows the bundle URL without a query string (a public-url template may carry a token there)', () => {
    const bundleUrl = 'https://cdn.example.com/com.example.app/1.2.3/cccc.zip?token=s3cr3tTokenValue'
    const markdown = renderReport(view({ result: result({ bundleUrl }) }))
    expect(markdown).toContain('Bundle URL: `https://cdn.example.com/com.example.app/1.2.3/cccc.zip`')
    expect(markdown).not.toContain('s3cr3tTokenValue')
  })

  it('verify: false never reads as a plain "published"', () => {
    const markdown = renderReport(view({ result: result({ verified: false }) }))
    expect(headingOf(markdown)).toBe('### ⚠️ com.example.app 1.2.3 → production: published, not verified')
    expect(markdown).toMatch(/not verified \(`verify: false`\)/)
  })

  it.each([
    [true, 'uploaded, not registered'],
    [false, 'uploaded, not verified, not registered'],
  ])('server: none (verified %s) says it was not registered', (verified, verb) => {
    const markdown = renderReport(
      view({ server: 'none', result: result({ registrar: 'none', verified, bundleId: undefined }) }),
    )
    expect(headingOf(markdown)).toBe(`### 📦 com.example.app 1.2.3 → production: ${verb}`)
    expect(markdown).toContain('Not registered (`server: none`)')
    expect(markdown).not.toMatch(/: published|registered with/)
  })

  it('already published', () => {
    const markdown = renderReport(view({ result: result({ status: 'already-published' }) }))
    expect(headingOf(markdown)).toBe('### ✅ com.example.app 1.2.3 → production: already published')
    expect(markdown).toContain('nothing was uploaded')
  })

  it('a dry run names the channel it would publish to, and the server is not called', () => {
    const markdown = renderReport(
      view({
        dryRun: true,
        version: '0.0.1-pr.7',
        result: result({ status: 'dry-run', version: '0.0.1-pr.7', bundleUrl: undefined, bundleId: undefined }),
      }),
    )
    expect(headingOf(markdown)).toBe('### 🧪 com.example.app 0.0.1-pr.7: dry run, would publish to `production`')
    expect(markdown).not.toContain('→')
    expect(markdown).toContain('`capgo` (not called: dry run)')
    expect(markdown).toContain('nothing was uploaded or registered')
  })

  it('a pull request without a private key: checked only, nothing signed or uploaded', () => {
    const markdown = renderReport(
      view({
        dryRun: true,
        result: result({ status: 'checked', verified: false, bundleUrl: undefined, bundleId: undefined }),
      }),
    )
    expect(headingOf(markdown)).toBe('### 🔎 com.example.app 1.2.3: checked only (no private key)')
    expect(markdown).toContain('signing and upload were skipped')
    expect(markdown).not.toMatch(/: published/)
  })

  it('no empty header row; the hashes are below the useful rows, collapsed', () => {
    const markdown = renderReport(view({ result: result() }))
    expect(markdown).not.toMatch(/^\|\s*\|\s*\|$/m)
    const lines = markdown.split('\n')
    const table = lines.findIndex((line) => line.startsWith('| App | Version | Channel |'))
    const details = lines.findIndex((line) => line.startsWith('<details><summary>Keys and checksums'))
    expect(table).toBeGreaterThan(0)
    expect(details).toBeGreaterThan(table)
    expect(lines.findIndex((line) => line.includes('b'.repeat(512)))).toBeGreaterThan(details)
    // The full values, so `live-update verify` can be run from the summary (not 16-character prefixes).
    expect(markdown).toContain(`| Checksum (signed) | \`${'b'.repeat(512)}\` |`)
  })

  it('leaves a place for "changes since" right after the verdict', () => {
    const changes = '#### Changes since 1.2.2 on `production`\n\n| change | file |\n|---|---|\n| new | `hero.png` |'
    const markdown = renderReport(view({ result: result(), changes }))
    const verdictEnd = markdown.indexOf('points at it.')
    expect(markdown.indexOf('#### Changes since')).toBeGreaterThan(verdictEnd)
    expect(markdown.indexOf('#### Changes since')).toBeLessThan(markdown.indexOf('| App | Version'))
  })
})

describe('renderReport: a failure says what happened to the bundle, once', () => {
  const failure = (
    stage: NonNullable<ReportView['failure']>['stage'],
    extra: Partial<NonNullable<ReportView['failure']>> = {},
  ) => renderReport(view({ failure: { stage, message: 'it broke', timings: [], ...extra } }))

  it.each(['input', 'build', 'keys', 'bundle', 'lookup'] as const)('at %s: nothing uploaded or registered', (stage) => {
    const markdown = failure(stage)
    expect(headingOf(markdown)).toBe(`### ❌ com.example.app 1.2.3 → production: failed at stage ${stage}`)
    expect(markdown).toContain(`**Failed at stage \`${stage}\`**: it broke`)
    expect(markdown).toContain('Nothing was uploaded or registered: devices keep their current bundle.')
  })

  it.each(['upload', 'verify'] as const)('at %s: nothing registered', (stage) => {
    expect(failure(stage)).toContain('Nothing was registered: devices keep their current bundle.')
  })

  it('at register, refused: nothing registered', () => {
    expect(failure('register', { bundleState: 'not-registered' })).toContain('Nothing was registered')
  })

  it('at register with an unknown outcome: may be registered, never "nothing was registered"', () => {
    const markdown = failure('register', {
      bundleState: 'maybe-registered',
      message: 'Capgo did not answer. The bundle MAY be registered: the uploaded object is kept.',
    })
    expect(markdown).toContain('may have registered the bundle, so the upload was kept')
    expect(markdown).not.toMatch(/Nothing was registered/i)
  })

  it('at register after the bundle was registered: it is registered, never "nothing was registered"', () => {
    const markdown = failure('register', {
      bundleState: 'registered',
      message: 'The bundle itself is registered; re-run the publish to finish.',
    })
    expect(markdown).toContain('The bundle is registered, but the channel may not point at it yet')
    expect(markdown).not.toMatch(/Nothing was registered/i)
  })

  it('a dry run that fails says nothing was uploaded', () => {
    const markdown = renderReport(view({ dryRun: true, failure: { stage: 'verify', message: 'bad', timings: [] } }))
    expect(headingOf(markdown)).toBe('### ❌ com.example.app 1.2.3: dry run failed at stage verify')
    expect(markdown).toContain('Dry run: nothing was uploaded or registered.')
  })

  it('without an app id or version the heading still reads', () => {
    const markdown = renderReport(
      view({
        appId: undefined,
        version: undefined,
        channel: undefined,
        failure: { stage: 'input', message: 'Set app-id.', timings: [] },
      }),
    )
    expect(headingOf(markdown)).toBe('### ❌ Live update: failed at stage input')
  })
})

describe('renderReport: user-controlled text cannot inject markdown or HTML', () => {
  const hostile = [
    '@octocat please review',
    '![pixel](https://evil.example/track.png)',
    '[click me](https://evil.example/phish)',
    '<img src=x onerror=alert(1)>',
    '<details open><summary>fake</summary>',
    'a | b | c',
    'tick`s ``and`` more`',
    'line\nbreak\r\n| injected | row |',
    'https://evil.example/autolink www.evil.example',
    '#1 fixes #123',
    '**bold** _em_ ~~strike~~',
    '\u202egnp.exe',
  ]
  const md = new MarkdownIt({ html: true, linkify: true })

  function render(markdown: string) {
    const html = md.render(markdown)
    const outsideCode = html.replace(/<code>[\s\S]*?<\/code>/g, '')
    return { html, outsideCode }
  }

  function expectInert(markdown: string, ownTags: string[]) {
    const { html, outsideCode } = render(markdown)
    // The only tags are the ones the report itself writes.
    const tags = new Set([...html.matchAll(/<\/?([a-z0-9]+)/gi)].map((match) => match[1]!.toLowerCase()))
    for (const tag of tags) expect(ownTags).toContain(tag)
    expect(html).not.toMatch(/<img|<a |<strong>bold|<em>em|<s>/i)
    // No mention or issue reference GitHub could link: '@' or '#' directly before a word, outside code.
    expect(outsideCode).not.toMatch(/@[A-Za-z0-9]|#[0-9]/)
    return html
  }

  const own = [
    'h3',
    'p',
    'strong',
    'code',
    'br',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
    'details',
    'summary',
    'a',
  ]

  it('hostile file names stay in their cell: as many rows as files, each name shown exactly', () => {
    const files = hostile.map((name, i) => ({ path: name, size: 1000 - i }))
    const markdown = renderReport(view({ result: result({ bundle: { ...bundle, largestFiles: files } }) }))
    const html = expectInert(
      markdown,
      own.filter((tag) => tag !== 'a'),
    )
    const filesTable = html.slice(html.indexOf('<summary>Largest files</summary>'))
    expect(filesTable.match(/<tr>/g)).toHaveLength(files.length + 1)
    expect((filesTable.match(/<td>/g) ?? []).length).toBe(files.length * 2)
    const shown = [...filesTable.matchAll(/<td><code>([\s\S]*?)<\/code><\/td>/g)].map((match) =>
      md.utils
        .unescapeAll(match[1]!)
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&'),
    )
    expect(shown).toHaveLength(files.length)
    expect(shown[0]).toBe('@octocat please review')
    expect(shown[3]).toBe('<img src=x onerror=alert(1)>')
  })

  it('a hostile version, channel, app id, message, storage and URL stay text too', () => {
    for (const text of hostile) {
      const markdown = renderReport(
        view({
          appId: text,
          version: text,
          channel: text,
          storage: text,
          server: text,
          runUrl: `https://github.com/acme/app/actions/runs/1) ![x](https://evil.example/${encodeURIComponent(text)}`,
          failure: {
            stage: 'register',
            message: `Refused ${text}`,
            timings: [],
            bundleState: 'maybe-registered',
            bundle,
          },
        }),
      )
      expectInert(
        markdown,
        own.filter((tag) => tag !== 'a'),
      )
      const published = renderReport(view({ result: result({ bundleUrl: text, bundleId: text }) }))
      expectInert(published, own)
    }
  })

  it('mdText and mdCode keep the visible text', () => {
    const { html } = render(mdText('@octocat see #12 at https://x.example'))
    expect(html.replace(/\u2060/g, '')).toBe('<p>@octocat see #12 at https://x.example</p>\n')
    expect(render(mdCode('a ``b`` c')).html).toBe('<p><code>a ``b`` c</code></p>\n')
  })
})
