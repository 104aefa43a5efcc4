import { describe, expect, it } from '@jest/globals'
import { parseRetryAfter, retryWithBackoff } from '../src/core/retry.js'

describe('retryWithBackoff', () => {
  it('retries transient failures with growing jittered delays, then succeeds', async () => {
    const waits: number[] = []
    let calls = 0
    const value = await retryWithBackoff(
      async () => {
        calls++
        if (calls < 3) throw new Error('transient')
        return 'ok'
      },
      {
        attempts: 5,
        baseDelayMs: 100,
        maxDelayMs: 1000,
        classify: () => ({ retry: true }),
        sleep: async (ms) => void waits.push(ms),
        random: () => 1,
      },
    )
    expect(value).toBe('ok')
    expect(calls).toBe(3)
    expect(waits).toEqual([100, 200])
  })

  it('stops at the attempt limit and rethrows the last error', async () => {
    let calls = 0
    await expect(
      retryWithBackoff(
        async () => {
          calls++
          throw new Error(`fail ${calls}`)
        },
        { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, classify: () => ({ retry: true }), sleep: async () => {} },
      ),
    ).rejects.toThrow('fail 3')
    expect(calls).toBe(3)
  })

  it('does not retry what classify refuses, and honours a server-given delay', async () => {
    const waits: number[] = []
    let calls = 0
    await expect(
      retryWithBackoff(
        async () => {
          calls++
          throw new Error(calls === 1 ? 'slow down' : 'fatal')
        },
        {
          attempts: 5,
          baseDelayMs: 1,
          maxDelayMs: 1,
          classify: (e) => ((e as Error).message === 'slow down' ? { retry: true, delayMs: 7000 } : { retry: false }),
          sleep: async (ms) => void waits.push(ms),
        },
      ),
    ).rejects.toThrow('fatal')
    expect(waits).toEqual([7000])
  })

  it('gives up when the next wait would pass the deadline', async () => {
    let clock = 0
    let calls = 0
    await expect(
      retryWithBackoff(
        async () => {
          calls++
          clock += 1000
          throw new Error('x')
        },
        {
          attempts: 10,
          baseDelayMs: 1000,
          maxDelayMs: 1000,
          deadlineMs: 2500,
          classify: () => ({ retry: true }),
          sleep: async (ms) => {
            clock += ms
          },
          now: () => clock,
          random: () => 1,
        },
      ),
    ).rejects.toThrow('x')
    expect(calls).toBe(2)
  })
})

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000)
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000)
    expect(parseRetryAfter('junk')).toBeUndefined()
    expect(parseRetryAfter('9999')).toBe(120_000)
  })
})
