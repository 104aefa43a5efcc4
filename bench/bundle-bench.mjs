// `npm run bench`: side by side in one run, on the same synthetic web build (then the input
// doubled): our `live-update bundle`, Capgo's CLI (`bundle zip` then `bundle encrypt`), the floor
// (bench/floor.mjs: one core's level-6 deflate CPU time of the compressible files + AES-128-CBC
// and SHA-256 of the zip, ÷ cores, + a bare process start), and the incremental cache: a first
// bundle with an empty --cache-dir, then a second one after 10 % of the text files changed, each
// against its floor (the work floor, with the per-file work; the cached floor: see floor.mjs).
// Whole processes, alternating, medians. Wall time and peak RSS from /usr/bin/time -v.
// Env: BENCH_RUNS (default 3), BENCH_MB (default 100), BENCH_FILES (default 3900),
// BENCH_PROFILE=1 (our bundle once more under --cpu-prof, profiles in bench/out/<input>/profile).
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdir, rm, stat, symlink, writeFile } from 'node:fs/promises'
import path from 'node:path'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { measureCachedFloor, measureFloor } from './floor.mjs'
import { changeSomeFiles, makeWebApp } from './make-webapp.mjs'
import { median } from './stats.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.env.BENCH_RUNS ?? 3)
const baseMb = Number(process.env.BENCH_MB ?? 100)
const baseFiles = Number(process.env.BENCH_FILES ?? 3900)
const cores = os.availableParallelism()
const out = path.join(repo, 'bench', 'out')
const capgoCli = path.join(repo, 'node_modules', '@capgo', 'cli', 'dist', 'index.js')
const ourCli = path.join(repo, 'dist', 'cli.js')

/**
 * Runs a command under /usr/bin/time -v: wall seconds and peak RSS in MB. After a `sync`: the
 * write-back of what the previous run wrote (a 46-93 MB bundle, the cache, the changed files) must
 * not land in the next run's time (seen: the second cached run 0.73 s alone, 0.87-0.96 s right after
 * the first).
 */
function timed(args, cwd) {
  execFileSync('sync')
  const started = process.hrtime.bigint()
  const result = spawnSync('/usr/bin/time', ['-v', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CAPGO_DISABLE_TELEMETRY: '1', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (result.status !== 0)
    throw new Error(`${args.join(' ')} failed (${result.status}):\n${result.stderr.slice(-2000)}`)
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)
  const user = /User time \(seconds\): ([\d.]+)/.exec(result.stderr)
  const system = /System time \(seconds\): ([\d.]+)/.exec(result.stderr)
  // CPU seconds too: on a shared machine they move less than wall time.
  const cpuSeconds = user && system ? Number(user[1]) + Number(system[1]) : NaN
  return { seconds, cpuSeconds, rssMb: rss ? Number(rss[1]) / 1024 : NaN, stdout: result.stdout }
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
  await writeFile(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'bench', version: '1.0.0', dependencies: { '@capgo/capacitor-updater': '8.51.23' } }),
  )
  await writeFile(
    path.join(project, 'capacitor.config.json'),
    JSON.stringify({ appId: 'com.example.bench', appName: 'bench', webDir: 'www' }),
  )
  await symlink(path.join(repo, 'node_modules'), path.join(project, 'node_modules'))
  execFileSync(process.execPath, [ourCli, 'key', 'create', '--dir', project, '--force'], { stdio: 'ignore' })
  const key = path.join(project, '.capgo_key_v2')
  const cacheDir = path.join(project, 'deflate-cache')
  const ourOut = path.join(project, 'ours.zip.enc')
  const ours = (extra = []) => {
    execFileSync('rm', ['-f', ourOut])
    const run = timed(
      [
        process.execPath,
        ourCli,
        'bundle',
        web,
        '--private-key',
        key,
        '--version',
        '1.0.0',
        '--out',
        ourOut,
        '--json',
        ...extra,
      ],
      project,
    )
    const result = JSON.parse(run.stdout)
    return {
      seconds: run.seconds,
      cpuSeconds: run.cpuSeconds,
      rssMb: run.rssMb,
      zipSize: result.zipSize,
      sha256: result.sha256,
      cache: result.cache,
    }
  }
  console.log(`${label}: ${made.files} files, ${(made.bytes / 1048576).toFixed(0)} MiB, ${cores} cores`)

  const rows = { ours: [], capgo: [], floor: [], cold: [], warm: [] }
  for (let run = 0; run < runs; run++) {
    const a = ours()
    rows.ours.push(a)

    const zipName = 'capgo.zip'
    await rm(path.join(project, zipName), { force: true })
    await rm(path.join(project, `${zipName}_encrypted.zip`), { force: true })
    const z = timed(
      [
        process.execPath,
        capgoCli,
        'bundle',
        'zip',
        'com.example.bench',
        '--path',
        'www',
        '--name',
        zipName,
        '--json',
        '--key-v2',
      ],
      project,
    )
    const zipped = lastJson(z.stdout)
    const e = timed(
      [
        process.execPath,
        capgoCli,
        'bundle',
        'encrypt',
        path.join(project, zipName),
        zipped.checksum,
        '--key',
        key,
        '--json',
      ],
      project,
    )
    const capgoZip = (await stat(path.join(project, zipName))).size
    rows.capgo.push({ seconds: z.seconds + e.seconds, rssMb: Math.max(z.rssMb, e.rssMb), zipSize: capgoZip })

    const { entries, ...floor } = measureFloor(web, { level: 6, cores, zipBytes: a.zipSize })
    rows.floor.push(floor)

    // Incremental: an empty cache, then the next release with 10 % of the text files changed.
    await rm(cacheDir, { recursive: true, force: true })
    const cold = ours(['--cache-dir', cacheDir])
    const changed = await changeSomeFiles(web, { share: 0.1, seed: run + 2 })
    const warm = ours(['--cache-dir', cacheDir])
    const check = ours()
    if (check.sha256 !== warm.sha256) throw new Error('the zip with the cache differs from the zip without it')
    const warmFloor = measureCachedFloor(web, entries, { level: 6, cores, zipBytes: warm.zipSize })
    rows.cold.push(cold)
    rows.warm.push({ ...warm, changed, floor: warmFloor.seconds })
    console.log(
      `  run ${run + 1}: ours ${a.seconds.toFixed(2)} s / ${a.rssMb.toFixed(0)} MB; capgo ${(z.seconds + e.seconds).toFixed(2)} s (zip ${z.seconds.toFixed(2)} + encrypt ${e.seconds.toFixed(2)}) / ${Math.max(z.rssMb, e.rssMb).toFixed(0)} MB; floor ${floor.seconds.toFixed(2)} s (deflate ${floor.deflate.toFixed(2)} + aes/sha ${floor.cipherHash.toFixed(2)} CPU s, start ${floor.startup.toFixed(2)}; with read+CRC+SHA per file ${floor.perFile.toFixed(2)} CPU s: ${floor.workSeconds.toFixed(2)} s); cache: first ${cold.seconds.toFixed(2)} s, after ${changed} changed files ${warm.seconds.toFixed(2)} s (${warm.cache.hits} reused, ${warm.cache.misses} compressed; its floor ${warmFloor.seconds.toFixed(2)} s: per file ${warmFloor.perFile.toFixed(2)} + entries ${warmFloor.entryWork.toFixed(2)} + aes/sha ${warmFloor.cipherHash.toFixed(2)} CPU s, ${warmFloor.reused} reused)`,
    )
  }
  if (process.env.BENCH_PROFILE) {
    const dir = path.join(project, 'profile')
    await rm(dir, { recursive: true, force: true })
    execFileSync('rm', ['-f', ourOut])
    execFileSync(
      process.execPath,
      [
        '--cpu-prof',
        '--cpu-prof-dir',
        dir,
        ourCli,
        'bundle',
        web,
        '--private-key',
        key,
        '--version',
        '1.0.0',
        '--out',
        ourOut,
        '--json',
      ],
      { cwd: project, stdio: 'ignore' },
    )
    console.log(`  profiles: ${dir}`)
  }
  const med = (list, field) => median(list.map((row) => row[field]))
  const summary = {
    label,
    files: made.files,
    inputMiB: made.bytes / 1048576,
    ours: {
      seconds: med(rows.ours, 'seconds'),
      cpuSeconds: med(rows.ours, 'cpuSeconds'),
      rssMb: med(rows.ours, 'rssMb'),
      zipSize: rows.ours[0].zipSize,
    },
    capgo: { seconds: med(rows.capgo, 'seconds'), rssMb: med(rows.capgo, 'rssMb'), zipSize: rows.capgo[0].zipSize },
    floor: {
      seconds: med(rows.floor, 'seconds'),
      deflateCpu: med(rows.floor, 'deflate'),
      cipherHashCpu: med(rows.floor, 'cipherHash'),
      startup: med(rows.floor, 'startup'),
      perFileCpu: med(rows.floor, 'perFile'),
      workSeconds: med(rows.floor, 'workSeconds'),
    },
    cacheFirst: { seconds: med(rows.cold, 'seconds'), rssMb: med(rows.cold, 'rssMb') },
    cacheSecond: {
      seconds: med(rows.warm, 'seconds'),
      rssMb: med(rows.warm, 'rssMb'),
      changedFiles: rows.warm[0].changed,
      floorSeconds: med(rows.warm, 'floor'),
    },
  }
  summary.oursOverFloor = summary.ours.seconds / summary.floor.seconds
  summary.oursOverWorkFloor = summary.ours.seconds / summary.floor.workSeconds
  // The same comparison in CPU time: our process's user+system seconds against the floor's CPU work.
  summary.oursCpuOverFloorCpu = summary.ours.cpuSeconds / (summary.floor.deflateCpu + summary.floor.cipherHashCpu)
  summary.capgoOverOurs = summary.capgo.seconds / summary.ours.seconds
  summary.zipSizeDiff = summary.ours.zipSize / summary.capgo.zipSize - 1
  summary.cacheSpeedup = summary.cacheFirst.seconds / summary.cacheSecond.seconds
  summary.secondOverFloor = summary.cacheSecond.seconds / summary.cacheSecond.floorSeconds
  // The speed-up if both bundles ran at their floors: first at the work floor, second at its own.
  summary.floorSpeedup = summary.floor.workSeconds / summary.cacheSecond.floorSeconds
  await rm(web, { recursive: true, force: true })
  await rm(cacheDir, { recursive: true, force: true })
  return summary
}

await mkdir(out, { recursive: true })
console.log(`node ${process.version}, ${cores} cores, ${runs} runs each, alternating`)
const results = [await benchOne('base', baseMb, baseFiles), await benchOne('doubled', baseMb * 2, baseFiles * 2)]
const s = (value) => `${value.toFixed(2)} s`
const mb = (value) => `${value.toFixed(0)} MB`
const mib = (value) => `${(value / 1048576).toFixed(1)} MiB`
const table = [
  '| input | files | ours | floor | ours ÷ floor | Capgo zip+encrypt | Capgo ÷ ours | ours peak RSS | Capgo peak RSS | our zip | Capgo zip | zip size diff |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.inputMiB.toFixed(0)} MiB | ${r.files} | ${s(r.ours.seconds)} | ${s(r.floor.seconds)} | ${r.oursOverFloor.toFixed(2)}x | ${s(r.capgo.seconds)} | ${r.capgoOverOurs.toFixed(2)}x | ${mb(r.ours.rssMb)} | ${mb(r.capgo.rssMb)} | ${mib(r.ours.zipSize)} | ${mib(r.capgo.zipSize)} | ${(r.zipSizeDiff * 100).toFixed(2)}% |`,
  ),
].join('\n')
const floorTable = [
  `| input | deflate CPU (1 core) | AES+SHA CPU | process start | floor on ${cores} cores | our CPU (user+sys) | our CPU ÷ floor CPU | read+CRC+SHA per file CPU | work floor | ours ÷ work floor |`,
  '|---|---|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.inputMiB.toFixed(0)} MiB | ${s(r.floor.deflateCpu)} | ${s(r.floor.cipherHashCpu)} | ${s(r.floor.startup)} | ${s(r.floor.seconds)} | ${s(r.ours.cpuSeconds)} | ${r.oursCpuOverFloorCpu.toFixed(2)}x | ${s(r.floor.perFileCpu)} | ${s(r.floor.workSeconds)} | ${r.oursOverWorkFloor.toFixed(2)}x |`,
  ),
].join('\n')
const cacheTable = [
  "| input | without cache | first, empty --cache-dir | second, 10 % of text files changed | first ÷ second | peak RSS (second) | second's floor | second ÷ its floor | work floor ÷ second's floor |",
  '|---|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${r.inputMiB.toFixed(0)} MiB | ${s(r.ours.seconds)} | ${s(r.cacheFirst.seconds)} | ${s(r.cacheSecond.seconds)} (${r.cacheSecond.changedFiles} files changed) | ${r.cacheSpeedup.toFixed(2)}x | ${mb(r.cacheSecond.rssMb)} | ${s(r.cacheSecond.floorSeconds)} | ${r.secondOverFloor.toFixed(2)}x | ${r.floorSpeedup.toFixed(2)}x |`,
  ),
].join('\n')
const rssGrowth = results[1].ours.rssMb / results[0].ours.rssMb
const report = `${table}\n\nour peak RSS growth when the input doubles: ${rssGrowth.toFixed(2)}x\n\nThe floor:\n\n${floorTable}\n\nIncremental bundling (same zip bytes with and without the cache, checked each run):\n\n${cacheTable}\n`
console.log(`\n${report}`)
await writeFile(
  path.join(out, 'results.json'),
  JSON.stringify({ node: process.version, cores, runs, results, rssGrowth }, null, 2),
)
await writeFile(path.join(out, 'results.md'), report)
