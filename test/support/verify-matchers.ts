/**
 * `expect(report).toBeRejectedAt(step, message?)`: a verify report that failed at `step`, with a
 * message matching (substring or RegExp). Fails with the whole report when it passed or failed
 * elsewhere, instead of comparing `true` to a string.
 */
import { expect } from '@jest/globals'
import type { VerifyReport } from '../../src/core/verify.js'

declare module 'expect' {
  interface Matchers<R> {
    toBeRejectedAt(step: string, message?: string | RegExp): R
  }
}

expect.extend({
  toBeRejectedAt(received: VerifyReport, step: string, message?: string | RegExp) {
    const show = (): string => JSON.stringify(received)
    if (received.ok)
      return { pass: false, message: () => `expected a rejection at step '${step}', but the bundle passed: ${show()}` }
    const stepOk = received.step === step
    const messageOk =
      message === undefined ||
      (typeof message === 'string' ? received.message.includes(message) : message.test(received.message))
    return {
      pass: stepOk && messageOk,
      message: () =>
        this.isNot
          ? `expected no rejection at step '${step}'${message ? ` matching ${String(message)}` : ''}, got ${show()}`
          : `expected a rejection at step '${step}'${message ? ` with a message matching ${String(message)}` : ''}, got ${show()}`,
    }
  },
})
