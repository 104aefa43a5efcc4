// The example's "web build": copies src/ to dist/ and stamps the version, like a real bundler would.
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const here = path.dirname(fileURLToPath(import.meta.url))
const out = path.join(here, 'dist')
const { version } = JSON.parse(await readFile(path.join(here, 'package.json'), 'utf8'))
await rm(out, { recursive: true, force: true })
await mkdir(out, { recursive: true })
await cp(path.join(here, 'src'), out, { recursive: true })
const app = path.join(out, 'app.js')
await writeFile(app, (await readFile(app, 'utf8')).replace('__VERSION__', process.env.APP_VERSION ?? version))
console.log(`built ${out}`)
