/** The release-management inputs: parsed once, specific errors naming the input, preview naming. */
import { describe, expect, it } from '@jest/globals'
import path from 'node:path'
import { resolveConfig } from '../src/core/config/index.js'
import { parseRolloutPercentage, previewJoinInstructions, resolveRelease } from '../src/core/modes/index.js'
import { createKeyPair } from '../src/core/keys.js'
import { makeSmallApp, tempDir, writeTree } from './support/folders.js'

const facts = { channel: 'production', packageVersion: '1.4.0', runNumber: '42' }

describe('release inputs', () => {
  it('rollout-percentage: 0.01 to 100 with two decimals at most, default 100', () => {
    expect(parseRolloutPercentage(undefined)).toBe(100)
    expect(parseRolloutPercentage('10')).toBe(10)
    expect(parseRolloutPercentage('0.01')).toBe(0.01)
    expect(parseRolloutPercentage('12.5%')).toBe(12.5)
    // Two-decimal values that are not exact in binary floating point (1.1 * 100 !== 110).
    for (const text of ['1.1', '0.07', '0.29', '1.15', '33.33', '99.99'])
      expect(parseRolloutPercentage(text)).toBe(Number(text))
    for (const bad of ['0', '0.001', '100.5', '-1', 'ten']) {
      expect(() => parseRolloutPercentage(bad)).toThrow(
        expect.objectContaining({ code: 'input_rollout_percentage_invalid', input: 'rollout-percentage' }),
      )
    }
  })

  it('mode: one of four; rollout-percentage only with publish', () => {
    expect(resolveRelease({}, facts)).toEqual({
      mode: 'publish',
      channel: 'production',
      rolloutPercentage: 100,
      version: undefined,
    })
    expect(() => resolveRelease({ mode: 'deploy' }, facts)).toThrow(
      expect.objectContaining({ code: 'input_choice_invalid', input: 'mode' }),
    )
    expect(() => resolveRelease({ mode: 'promote', rolloutPercentage: '10' }, facts)).toThrow(
      expect.objectContaining({ input: 'rollout-percentage' }),
    )
    expect(resolveRelease({ mode: 'rollback' }, { ...facts, explicitVersion: '1.2.0' })).toMatchObject({
      mode: 'rollback',
      version: '1.2.0',
    })
  })

  it('preview: pr-{number} channel and <package version>-pr.<number>.<run number>, unless version is set', () => {
    expect(resolveRelease({ preview: true }, { ...facts, pullRequest: 7 })).toEqual({
      mode: 'publish',
      channel: 'pr-7',
      rolloutPercentage: 100,
      version: '1.4.0-pr.7.42',
      preview: { pullRequest: 7 },
    })
    expect(
      resolveRelease(
        { preview: true, previewChannel: 'review-{number}' },
        { ...facts, pullRequest: 7, explicitVersion: '2.0.0-rc.1' },
      ),
    ).toMatchObject({ channel: 'review-7', version: '2.0.0-rc.1' })
    expect(() => resolveRelease({ preview: true }, facts)).toThrow(
      expect.objectContaining({ code: 'input_preview_channel_invalid', input: 'preview' }),
    )
    expect(() =>
      resolveRelease({ preview: true, previewChannel: 'pr {number}' }, { ...facts, pullRequest: 7 }),
    ).toThrow(expect.objectContaining({ input: 'preview-channel' }))
    expect(resolveRelease({ mode: 'cleanup' }, { ...facts, pullRequest: 9 })).toMatchObject({
      mode: 'cleanup',
      channel: 'pr-9',
    })
    expect(() => resolveRelease({ mode: 'cleanup' }, facts)).toThrow(expect.objectContaining({ input: 'mode' }))
  })

  it('the PR comment tells a tester how to join, per server', () => {
    expect(previewJoinInstructions('pr-7', 'capgo')).toContain("setChannel({ channel: 'pr-7'")
    expect(previewJoinInstructions('pr-7', 'capgo')).toContain('allow_device_self_set')
    expect(previewJoinInstructions('pr-7', 'self-hosted')).not.toContain('allow_device_self_set')
  })
})

describe('resolveConfig with release inputs', () => {
  it('promote needs no web folder, key or version; preview takes the PR facts; server self-hosted is accepted', async () => {
    const dir = await tempDir()
    await writeTree(dir, { 'package.json': JSON.stringify({ version: '3.1.0' }) })
    const inputs: Record<string, string> = {
      'app-id': 'com.example.app',
      mode: 'promote',
      storage: 'dir',
      'storage-dir': 'out',
      server: 'self-hosted',
    }
    const promote = await resolveConfig((name) => inputs[name], { cwd: dir, git: { runId: '555', runAttempt: '2' } })
    expect(promote.release).toEqual({
      mode: 'promote',
      channel: 'production',
      rolloutPercentage: 100,
      version: undefined,
      run: { runId: '555', runAttempt: '2' },
    })
    expect(promote.registrar).toEqual({ kind: 'self-hosted' })
    const dry: Record<string, string> = { ...inputs, 'dry-run': 'true' }
    await expect(resolveConfig((name) => dry[name], { cwd: dir })).rejects.toMatchObject({ input: 'dry-run' })

    await makeSmallApp(path.join(dir, 'www'))
    const key = createKeyPair()
    const preview = {
      'app-id': 'com.example.app',
      path: 'www',
      'private-key': key.privateKeyPem,
      preview: 'true',
      storage: 'dir',
      'storage-dir': 'out',
      server: 'none',
      'rollout-percentage': '50',
    }
    const config = await resolveConfig((name) => (preview as Record<string, string>)[name], {
      cwd: dir,
      runNumber: '12',
      pullRequest: { number: 31 },
    })
    expect(config.publish).toMatchObject({ channel: 'pr-31', version: '3.1.0-pr.31.12' })
    expect(config.release).toMatchObject({ rolloutPercentage: 50, preview: { pullRequest: 31 } })
  })
})
