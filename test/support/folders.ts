import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'

export async function tempDir(prefix = 'live-update-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix))
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

/** Writes files given as { 'relative/name': content } under dir. */
export async function writeTree(dir: string, files: Record<string, string | Buffer>): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name)
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, content)
  }
  return dir
}

/** A small valid web app: index.html at the root and a script that calls notifyAppReady. */
export async function makeSmallApp(dir: string, extra: Record<string, string | Buffer> = {}): Promise<string> {
  return writeTree(dir, {
    'index.html': '<!doctype html><html><body><script src="app.js"></script></body></html>\n',
    'app.js': "import { CapacitorUpdater } from '@capgo/capacitor-updater'\nCapacitorUpdater.notifyAppReady()\n",
    'css/site.css': 'body { margin: 0 }\n'.repeat(50),
    'img/logo.png': randomBytes(3000),
    ...extra,
  })
}

/** Deterministic pseudo-source text (compresses like real JS) of about `size` bytes. */
export function sourceLikeText(size: number, seed: number): string {
  const words = [
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
  ]
  let x = (seed * 2654435761) >>> 0
  const parts: string[] = []
  let total = 0
  while (total < size) {
    x = (x * 1103515245 + 12345) >>> 0
    const word = words[x % words.length] + (x % 7 === 0 ? `_${x % 997}` : '')
    const piece = x % 11 === 0 ? `${word};\n` : `${word} `
    parts.push(piece)
    total += piece.length
  }
  return parts.join('').slice(0, size)
}
