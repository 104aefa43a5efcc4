import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'

const here = path.dirname(fileURLToPath(import.meta.url))
const module = path.join(here, '../../src/core/young-generation.ts')

// A program whose surviving objects make V8 grow the young generation (to 32 MiB semi-spaces here
// when nothing holds it). The growth factor is process-wide, so each case runs in a process of its own.
const program = `
const { holdYoungGeneration } = await import(${JSON.stringify(module)})
const hold = process.argv[1] === 'hold'
const ring = new Array(10000)
for (let i = 0; i < 3000; i++) {
  for (let j = 0; j < 1000; j++) ring[(i * 1000 + j) % ring.length] = { i, j, text: 'entry ' + i + ' ' + j }
  if (hold) holdYoungGeneration(8 * 1024 * 1024)
}
`

/** The largest semi-space V8 reported in this run's GC trace. */
function largestSemiSpace(mode: 'hold' | 'free'): number {
  const run = spawnSync(process.execPath, ['--trace-gc-nvp', '--input-type=module', '-e', program, mode], {
    encoding: 'utf8',
  })
  expect(run.status).toBe(0)
  const capacities = [...run.stdout.matchAll(/new_space_capacity=(\d+)/g)].map((match) => Number(match[1]))
  expect(capacities.length).toBeGreaterThan(10)
  return Math.max(...capacities)
}

// The child imports the TypeScript source: it needs Node's type stripping (22.18+, 24).
const canRun = Boolean((process.features as { typescript?: unknown }).typescript)

describe('holdYoungGeneration', () => {
  ;(canRun ? it : it.skip)(
    'keeps the young generation from growing once it reached the limit (two semi-spaces of 4 MiB here)',
    () => {
      expect(largestSemiSpace('free')).toBeGreaterThan(4 * 1024 * 1024)
      expect(largestSemiSpace('hold')).toBeLessThanOrEqual(4 * 1024 * 1024)
    },
  )
})
