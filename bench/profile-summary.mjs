// Self time by function of each .cpuprofile in a folder (node --cpu-prof writes one per thread:
// the main thread first, then each deflate worker). `npm run bench` with BENCH_PROFILE=1 writes
// them to bench/out/<input>/profile. Usage: node bench/profile-summary.mjs <folder> [top=12]
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

const dir = process.argv[2]
const top = Number(process.argv[3] ?? 12)
for (const name of readdirSync(dir)
  .filter((file) => file.endsWith('.cpuprofile'))
  .sort()) {
  const profile = JSON.parse(readFileSync(path.join(dir, name), 'utf8'))
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map()
  profile.samples.forEach((id, index) => {
    const frame = nodes.get(id).callFrame
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}${frame.lineNumber >= 0 ? `:${frame.lineNumber + 1}` : ''}`
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[index] ?? 0))
  })
  console.log(`${name}: ${((profile.endTime - profile.startTime) / 1000).toFixed(0)} ms`)
  for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${(micros / 1000).toFixed(0).padStart(7)} ms  ${key}`)
}
