/**
 * Sticky rollouts without server-side state: a device's place in a rollout is a hash of its id and
 * the rollout's version, so it gets the same answer on every request, a raised percentage keeps
 * everyone already in, and each new rollout draws a fresh sample of devices.
 */
export const ROLLOUT_BUCKETS = 10_000

const encoder = new TextEncoder()

/** 0..9999, uniform over device ids (first 4 bytes of SHA-256 of `<device id>:<version>`). */
export async function rolloutBucket(deviceId: string, version: string): Promise<number> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(`${deviceId.toLowerCase()}:${version}`))
  return new DataView(digest).getUint32(0) % ROLLOUT_BUCKETS
}

/** `percentage` 0.01-100 (COMMON.md): 12.5 % admits buckets 0..1249. */
export async function inRollout(deviceId: string, version: string, percentage: number): Promise<boolean> {
  return (await rolloutBucket(deviceId, version)) < Math.round(percentage * (ROLLOUT_BUCKETS / 100))
}
