// `npm run bench`: our `live-update bundle` against Capgo's CLI (`bundle zip` then
// `bundle encrypt`) on the same synthetic web build, whole processes, alternating, then again
// with the input doubled. Reports median wall time, peak RSS (/usr/bin/time -v), ratios and
// zip sizes. Env: BENCH_RUNS (default 3), BENCH_MB (default 100), BENCH_FILES (default 3200).
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdir, rm, stat, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { makeWebApp } from './make-webapp.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.env.BENCH_RUNS ?? 3)
const baseMb = Number(process.env.BENCH_MB ?? 100)
const baseFiles = Number(process.env.BENCH_FILES ?? 3200)
const out = path.join(repo, 'bench', 'out')
const capgoCli = path.join(repo, 'node_modules', '@capgo', 'cli', 'dist', 'index.js')
const ourCli = path.join(repo, 'dist', 'cli.js')

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Runs a command under /usr/bin/time -v: wall seconds and peak RSS in MB. */
function timed(args, cwd) {
  const started = process.hrtime.bigint()
  const result = spawnSync('/usr/bin/time', ['-v', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CAPGO_DISABLE_TELEMETRY: '1', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed (${result.status}):\n${result.stderr.slice(-2000)}`)
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)
  return { seconds, rssMb: rss ? Number(rss[1]) / 1024 : NaN, stdout: result.stdout }
}

function lastJson(text) {
  const start = text.lastIndexOf('\n{')
  return JSON.parse(text.slice(start >= 0 ? start + 1 : text.indexOf('{')))
}

async function benchOne(label, megabytes, files) {
  const project = path.join(out, label)
  await rm(project, { recursive: true, force: true })
  await mkdir(project, { recursive: true })
  const web = path.join(project, 'www')
  const made = await makeWebApp(web, { megabytes, files })
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'bench', version: '1.0.0', dependencies: { '@capgo/capacitor-updater': '8.51.23' } }))
  await writeFile(path.join(project, 'capacitor.config.json'), JSON.stringify({ appId: 'com.example.bench', appName: 'bench', webDir: 'www' }))
  await symlink(path.join(repo, 'node_modules'), path.join(project, 'node_modules'))
  execFileSync(process.execPath, [ourCli, 'key', 'create', '--dir', project, '--force'], { stdio: 'ignore' })
  const key = path.join(project, '.capgo_key_v2')
  console.log(`${label}: ${made.files} files, ${(made.bytes / 1048576).toFixed(0)} MiB`)

  const ours = []
  const oursFast = []
  const capgo = []
  for (let run = 0; run < runs; run++) {
    const ourOut = path.join(project, 'ours.zip.enc')
    await rm(ourOut, { force: true })
    const a = timed([process.execPath, ourCli, 'bundle', web, '--private-key', key, '--version', '1.0.0', '--out', ourOut, '--json'], project)
    const result = JSON.parse(a.stdout)
    ours.push({ seconds: a.seconds, rssMb: a.rssMb, zipSize: result.zipSize })
    // For reference: the same with --level 1 (the user's speed/size trade-off, not the default).
    await rm(ourOut, { force: true })
    const f = timed([process.execPath, ourCli, 'bundle', web, '--private-key', key, '--version', '1.0.0', '--out', ourOut, '--json', '--level', '1'], project)
    oursFast.push({ seconds: f.seconds, rssMb: f.rssMb, zipSize: JSON.parse(f.stdout).zipSize })

    const zipName = 'capgo.zip'
    await rm(path.join(project, zipName), { force: true })
    await rm(path.join(project, `${zipName}_encrypted.zip`), { force: true })
    const z = timed([process.execPath, capgoCli, 'bundle', 'zip', 'com.example.bench', '--path', 'www', '--name', zipName, '--json', '--key-v2'], project)
    const zipped = lastJson(z.stdout)
    const e = timed([process.execPath, capgoCli, 'bundle', 'encrypt', path.join(project, zipName), zipped.checksum, '--key', key, '--json'], project)
    const zipSize = (await stat(path.join(project, zipName))).size
    capgo.push({ seconds: z.seconds + e.seconds, rssMb: Math.max(z.rssMb, e.rssMb), zipSize, zipSeconds: z.seconds, encryptSeconds: e.seconds })
    console.log(`  run ${run + 1}: ours ${a.seconds.toFixed(2)} s / ${a.rssMb.toFixed(0)} MB (level 1: ${f.seconds.toFixed(2)} s); capgo ${(z.seconds + e.seconds).toFixed(2)} s (zip ${z.seconds.toFixed(2)} + encrypt ${e.seconds.toFixed(2)}) / ${Math.max(z.rssMb, e.rssMb).toFixed(0)} MB`)
  }
  const summary = {
    label,
    files: made.files,
    inputMiB: made.bytes / 1048576,
    ours: { medianSeconds: median(ours.map((r) => r.seconds)), medianRssMb: median(ours.map((r) => r.rssMb)), zipSize: ours[0].zipSize },
    oursLevel1: { medianSeconds: median(oursFast.map((r) => r.seconds)), medianRssMb: median(oursFast.map((r) => r.rssMb)), zipSize: oursFast[0].zipSize },
    capgo: { medianSeconds: median(capgo.map((r) => r.seconds)), medianRssMb: median(capgo.map((r) => r.rssMb)), zipSize: capgo[0].zipSize },
  }
  summary.speedup = summary.capgo.medianSeconds / summary.ours.medianSeconds
  summary.zipSizeRatio = summary.ours.zipSize / summary.capgo.zipSize
  await rm(web, { recursive: true, force: true })
  return summary
}

await mkdir(out, { recursive: true })
console.log(`node ${process.version}, ${os.availableParallelism()} cores, ${runs} runs each, alternating`)
const results = [await benchOne('base', baseMb, baseFiles), await benchOne('doubled', baseMb * 2, baseFiles * 2)]
const rows = results.map((r) =>
  `| ${r.label} | ${r.files} | ${r.inputMiB.toFixed(0)} MiB | ${r.ours.medianSeconds.toFixed(2)} s | ${r.capgo.medianSeconds.toFixed(2)} s | ${r.speedup.toFixed(1)}x | ${r.ours.medianRssMb.toFixed(0)} MB | ${r.capgo.medianRssMb.toFixed(0)} MB | ${(r.ours.zipSize / 1048576).toFixed(1)} MiB | ${(r.capgo.zipSize / 1048576).toFixed(1)} MiB | ${((r.zipSizeRatio - 1) * 100).toFixed(2)}% |`)
const table = [
  '| input | files | size | ours (median) | Capgo zip+encrypt (median) | speed-up | ours peak RSS | Capgo peak RSS | our zip | Capgo zip | zip size diff |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows,
].join('\n')
const fastRows = results.map((r) =>
  `| ${r.label} | ${r.oursLevel1.medianSeconds.toFixed(2)} s | ${(r.capgo.medianSeconds / r.oursLevel1.medianSeconds).toFixed(1)}x | ${r.oursLevel1.medianRssMb.toFixed(0)} MB | ${(r.oursLevel1.zipSize / 1048576).toFixed(1)} MiB | ${((r.oursLevel1.zipSize / r.capgo.zipSize - 1) * 100).toFixed(1)}% |`)
const fastTable = ['| input | ours --level 1 (median) | speed-up vs Capgo | peak RSS | zip | zip size diff |', '|---|---|---|---|---|---|', ...fastRows].join('\n')
const rssGrowth = results[1].ours.medianRssMb / results[0].ours.medianRssMb
console.log(`\n${table}\n\nour peak RSS growth when the input doubles: ${rssGrowth.toFixed(2)}x\n\nFor reference, the non-default fastest level:\n\n${fastTable}`)
await writeFile(path.join(out, 'results.json'), JSON.stringify({ node: process.version, runs, results, rssGrowth }, null, 2))
await writeFile(path.join(out, 'results.md'), `${table}\n\nour peak RSS growth when the input doubles: ${rssGrowth.toFixed(2)}x\n\n${fastTable}\n`)
