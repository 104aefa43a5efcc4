/** The set-up scripts `npm test` relies on, run for real (they must say what is missing, not guess). */
import { describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

describe('scripts/install-test-deps.sh --check', () => {
  it('lists every missing peer and exits 1 on a machine without them, installing nothing', () => {
    const bash = spawnSync('sh', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim()
    const run = spawnSync(bash, [path.join(repo, 'scripts/install-test-deps.sh'), '--check'], {
      env: { PATH: '/nonexistent' },
      encoding: 'utf8',
    })
    expect(run.status).toBe(1)
    expect(run.stderr.trim()).toMatch(
      /^missing test peers: swift swift-proxy swift-account swift-container swift-object unzip zip default-j\w+-headless openssl curl$/,
    )
  })
})
