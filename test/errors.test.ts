import { readFileSync } from 'node:fs'
import { ERROR_CATALOGUES } from '../src/core/error-codes.js'
import { ExitCode, LiveUpdateError, STAGE_EXIT_CODE, STAGES } from '../src/core/errors.js'

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')

describe('one failure vocabulary', () => {
  it('every code follows <area>_<subject>_<problem> with its catalogue as the area', () => {
    for (const [area, catalogue] of Object.entries(ERROR_CATALOGUES)) {
      for (const code of Object.keys(catalogue)) expect(code).toMatch(new RegExp(`^${area}(_[a-z0-9]+){2,}$`))
    }
  })

  it('no code is in two catalogues', () => {
    const codes = Object.values(ERROR_CATALOGUES).flatMap((catalogue) => Object.keys(catalogue))
    expect(new Set(codes).size).toBe(codes.length)
  })

  it('docs/errors.md lists every code with its meaning from the catalogue', () => {
    for (const catalogue of Object.values(ERROR_CATALOGUES)) {
      for (const [code, meaning] of Object.entries(catalogue))
        expect(doc).toContain(`| \`${code}\` | ${meaning.replace(/\|/g, '\\|')} |`)
    }
  })

  it('every stage has an exit code, and docs/errors.md states the same one', () => {
    expect(Object.keys(STAGE_EXIT_CODE).sort()).toEqual([...STAGES].sort())
    for (const stage of STAGES)
      expect(doc).toMatch(new RegExp(`^\\| \`${stage}\` \\| .+ \\| ${STAGE_EXIT_CODE[stage]} \\|$`, 'm'))
  })

  it.each([
    ['input', ExitCode.badInput],
    ['build', ExitCode.build],
    ['keys', ExitCode.badInput],
    ['bundle', ExitCode.badInput],
    ['lookup', ExitCode.register],
    ['upload', ExitCode.storage],
    ['verify', ExitCode.verifyFailed],
    ['register', ExitCode.register],
  ] as const)('a failure at stage %s exits %d, whatever its code', (stage, exit) => {
    expect(new LiveUpdateError('storage_upload_failed', 'x', { stage }).exitCode).toBe(exit)
  })

  it('a failed build command has its own exit code, distinct from every other', () => {
    const others = Object.entries(ExitCode)
      .filter(([name]) => name !== 'build')
      .map(([, code]) => code)
    expect(others).not.toContain(ExitCode.build)
  })
})
