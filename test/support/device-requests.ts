/**
 * Requests shaped as @capgo/capacitor-updater 8.51 sends them: Android's `createInfoObject`
 * (CapgoUpdater.java) with OkHttp's `application/json; charset=utf-8`, iOS's `InfoObject`
 * (nil fields left out) with `application/json`.
 */
import { randomUUID } from 'node:crypto'

export const APP_ID = 'com.example.selfhosted'

export interface SendInit {
  method?: string
  headers?: Record<string, string>
  body?: string | Uint8Array
}

/** A client for one entry point: a path (`/updates?x=1`) and fetch-like init in, a Response out (gzip already inflated). */
export type Send = (path: string, init?: SendInit) => Promise<Response>

export function androidInfo(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    platform: 'android',
    device_id: randomUUID(),
    app_id: APP_ID,
    custom_id: '',
    version_build: '1.0.0',
    version_code: '1',
    version_os: '14',
    version_name: 'builtin',
    plugin_version: '8.51.23',
    is_emulator: false,
    is_prod: true,
    install_source: 'com.android.vending',
    defaultChannel: '',
    key_id: 'MIIBCgKCAQEAqJikYizo',
    ...overrides,
  }
}

export function iosInfo(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    platform: 'ios',
    device_id: randomUUID().toUpperCase(),
    app_id: APP_ID,
    version_build: '1.0.0',
    version_code: '1',
    version_os: '17.4',
    version_name: 'builtin',
    plugin_version: '8.51.23',
    is_emulator: false,
    is_prod: true,
    install_source: 'app_store',
    key_id: 'MIIBCgKCAQEAqJikYizo',
    ...overrides,
  }
}

export const ANDROID_JSON = { 'content-type': 'application/json; charset=utf-8', 'accept-encoding': 'gzip' }
export const IOS_JSON = {
  'content-type': 'application/json',
  accept: 'application/json',
  'accept-encoding': 'gzip, deflate, br',
}

export function post(body: unknown, headers: Record<string, string> = ANDROID_JSON): SendInit {
  return { method: 'POST', headers, body: JSON.stringify(body) }
}

/** GET /channel_self as the plugin builds it: every info field as a query parameter. */
export function listQuery(info: Record<string, unknown>): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(info))
    if (value !== undefined && value !== null) params.append(key, String(value))
  return `/channel_self?${params}`
}
