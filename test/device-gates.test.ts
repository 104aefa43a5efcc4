import { describe, expect, it } from '@jest/globals'
import { assertDeviceUrl, assertSignedForDevices, isLoopbackHost } from '../src/core/device-gates.js'
import { thrownBy } from './support/thrown.js'

describe('device gates', () => {
  it('https everywhere; http only on loopback', () => {
    expect(() => assertDeviceUrl('https://cdn.example.com/a.zip')).not.toThrow()
    expect(() => assertDeviceUrl('http://127.0.0.1:9000/a.zip')).not.toThrow()
    expect(() => assertDeviceUrl('http://[::1]:9000/a.zip')).not.toThrow()
    expect(thrownBy(() => assertDeviceUrl('http://cdn.example.com/a.zip?token=secret'))).toMatchObject({
      code: 'input_device_url_not_https',
      input: 'public-url',
      message: expect.not.stringContaining('secret'),
    })
    expect(thrownBy(() => assertDeviceUrl('ftp://cdn.example.com/a.zip'))).toMatchObject({
      code: 'input_device_url_not_https',
    })
    // The folder store's own URLs stay on this machine, like loopback.
    expect(() => assertDeviceUrl('file:///tmp/a.zip')).not.toThrow()
    expect(isLoopbackHost('127.0.0.1.evil.com')).toBe(false)
    expect(thrownBy(() => assertDeviceUrl('not a url'))).toMatchObject({
      code: 'input_device_url_invalid',
      input: 'public-url',
    })
  })

  it('refuses a bundle without session key, signed checksum or signature', () => {
    const hex = 'a'.repeat(512)
    expect(() => assertSignedForDevices({ sessionKey: 'iv:key', checksum: hex, signature: hex })).not.toThrow()
    expect(
      thrownBy(() => assertSignedForDevices({ sessionKey: '', checksum: 'abc', signature: undefined })),
    ).toMatchObject({
      code: 'register_signature_missing',
      message: expect.stringContaining('session key, signed checksum, signed metadata (signature)'),
    })
  })
})
