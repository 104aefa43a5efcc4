/** Small deterministic web builds for delta tests: text chunks big and small, binary-ish files, nesting. */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'

export function sourceText(size: number, seed: number): string {
  let x = (seed * 2654435761) >>> 0
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
    'useEffect',
    'document',
  ]
  let out = ''
  while (out.length < size) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out += x % 7 === 0 ? `${words[x % words.length]}_${x % 997}(${x % 100});\n` : `${words[x % words.length]} `
  }
  return out.slice(0, size)
}

/** `chunks` JS files (sizes 2-40 KB), index.html calling notifyAppReady, a PNG-like blob, an empty file. */
export async function writeWebApp(dir: string, options: { chunks: number; seed?: number }): Promise<void> {
  const seed = options.seed ?? 1
  await mkdir(path.join(dir, 'assets', 'nested'), { recursive: true })
  await writeFile(
    path.join(dir, 'index.html'),
    `<!doctype html><script src="assets/chunk-0.js"></script><!-- build ${seed} -->\n`,
  )
  for (let i = 0; i < options.chunks; i++) {
    const size = 2000 + ((i * 7919) % 38000)
    const prefix = i === 0 ? 'CapacitorUpdater.notifyAppReady();\n' : ''
    await writeFile(path.join(dir, 'assets', `chunk-${i}.js`), prefix + sourceText(size, i + 1))
  }
  await writeFile(path.join(dir, 'assets', 'nested', 'logo.png'), randomBytes(20_000))
  await writeFile(path.join(dir, 'assets', 'empty.txt'), '')
}

/** Every file under `dir` (relative `/` paths) with its bytes. */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  async function walk(sub: string): Promise<void> {
    for (const entry of await readdir(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name
      if (entry.isDirectory()) await walk(rel)
      else out.set(rel, await readFile(path.join(dir, rel)))
    }
  }
  await walk('')
  return out
}
