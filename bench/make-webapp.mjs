// Writes a synthetic but realistic web build: many JS chunks with source maps, CSS, HTML,
// JSON, and already-compressed images and fonts. Deterministic text, so runs compare.
import { mkdir, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import path from 'node:path'

const WORDS = [
  'const',
  'function',
  'return',
  'import',
  'export',
  'await',
  'value',
  'props',
  'state',
  'render',
  'component',
  'useEffect',
  'document',
  'window',
  'length',
  'index',
  'string',
  'number',
  'undefined',
  'Promise',
  'resolve',
  'className',
]

export function text(size, seed) {
  let x = (seed * 2654435761) >>> 0
  const parts = []
  let total = 0
  while (total < size) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    const word = WORDS[x % WORDS.length] + (x % 5 === 0 ? `_${x % 4093}` : '')
    const piece = x % 9 === 0 ? `${word}(${x % 100});\n` : `${word} `
    parts.push(piece)
    total += piece.length
  }
  return parts.join('').slice(0, size)
}

/** Makes an app of about `megabytes` MB with about `files` files under `dir`. */
export async function makeWebApp(dir, { megabytes = 100, files = 3200, seed = 1 } = {}) {
  const targetBytes = megabytes * 1024 * 1024
  const kinds = [
    // share of files, share of bytes
    { ext: 'js', dir: 'assets', files: 0.3, bytes: 0.34 },
    { ext: 'js.map', dir: 'assets', files: 0.3, bytes: 0.26 },
    { ext: 'css', dir: 'assets', files: 0.08, bytes: 0.04 },
    { ext: 'json', dir: 'i18n', files: 0.1, bytes: 0.04 },
    { ext: 'html', dir: 'pages', files: 0.06, bytes: 0.02 },
    { ext: 'png', dir: 'img', files: 0.08, bytes: 0.14 },
    { ext: 'webp', dir: 'img', files: 0.05, bytes: 0.1 },
    { ext: 'woff2', dir: 'fonts', files: 0.03, bytes: 0.06 },
  ]
  await mkdir(dir, { recursive: true })
  await writeFile(
    path.join(dir, 'index.html'),
    '<!doctype html><html><head><script type="module" src="assets/main.js"></script></head><body></body></html>\n',
  )
  await mkdir(path.join(dir, 'assets'), { recursive: true })
  await writeFile(
    path.join(dir, 'assets', 'main.js'),
    "import { CapacitorUpdater } from '@capgo/capacitor-updater'\nCapacitorUpdater.notifyAppReady()\n",
  )
  let written = 0
  let count = 2
  let n = 0
  for (const kind of kinds) {
    const kindFiles = Math.max(1, Math.round(files * kind.files))
    const each = Math.max(64, Math.round((targetBytes * kind.bytes) / kindFiles))
    for (let i = 0; i < kindFiles; i++) {
      n++
      // Sizes vary around the mean, like real chunks.
      const size = Math.max(32, Math.round(each * (0.25 + 1.5 * (((n * 7919) % 1000) / 1000))))
      const sub = path.join(dir, kind.dir, `g${i % 25}`)
      await mkdir(sub, { recursive: true })
      const body = ['png', 'webp', 'woff2'].includes(kind.ext) ? randomBytes(size) : text(size, seed * 100003 + n)
      await writeFile(path.join(sub, `f${i}-${n}.${kind.ext}`), body)
      written += size
      count++
    }
  }
  return { files: count, bytes: written }
}

/**
 * Rewrites `share` of the text files under `dir` with new content of the same size: the next
 * release of the same app, where most chunks are unchanged.
 */
export async function changeSomeFiles(dir, { share = 0.1, seed = 2 } = {}) {
  const { readdir, stat } = await import('node:fs/promises')
  const texts = []
  async function walk(folder) {
    for (const child of await readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, child.name)
      if (child.isDirectory()) await walk(full)
      // main.js holds the notifyAppReady call: kept, so every release still passes the check.
      else if (/\.(js|map|css|json|html)$/.test(child.name) && child.name !== 'main.js' && child.name !== 'index.html')
        texts.push(full)
    }
  }
  await walk(dir)
  texts.sort()
  const every = Math.max(1, Math.round(1 / share))
  let changed = 0
  for (let i = seed % every; i < texts.length; i += every) {
    await writeFile(texts[i], text((await stat(texts[i])).size, seed * 7919 + i))
    changed++
  }
  return changed
}
