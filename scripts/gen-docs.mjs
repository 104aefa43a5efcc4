// Writes action.yml's inputs and the README's input table from the input table
// (src/core/inputs/table.ts). `--check` writes nothing and fails when a file is out of date.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const check = process.argv.includes('--check')
await mkdir('.cache', { recursive: true })
const outfile = '.cache/gen-docs.mjs'
await build({
  entryPoints: ['src/action/docs.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile,
  logLevel: 'warning',
})
const docs = await import(pathToFileURL(outfile).href)
let stale = 0
for (const [file, render] of [
  ['action.yml', docs.withActionInputs],
  ['README.md', docs.withReadmeInputs],
]) {
  const before = await readFile(file, 'utf8')
  const after = render(before)
  if (before === after) continue
  stale++
  if (check) console.error(`${file} is out of date: run npm run gen:docs`)
  else await writeFile(file, after)
}
if (check && stale) process.exit(1)
