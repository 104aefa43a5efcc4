/**
 * Other content with the same length and CRC-32: what a hostile cache can serve when only a CRC is
 * checked. CRC-32 is affine over GF(2) for a fixed length, so after changing one byte, flipping the
 * right bits among the 32 of four chosen bytes brings the CRC back; those bits solve a 32×32 linear
 * system (each column: how flipping one bit changes the CRC).
 */
import zlib from 'node:zlib'

export function forgeSameCrc(content: Buffer, changeAt: number, fixAt: number): Buffer {
  if (fixAt + 4 > content.length || (changeAt >= fixAt && changeAt < fixAt + 4))
    throw new Error('forgeSameCrc: the changed byte must lie outside the four fixed bytes')
  const target = zlib.crc32(content)
  const forged = Buffer.from(content)
  forged[changeAt] ^= 0x01
  const base = zlib.crc32(forged)
  // Column i: the CRC change when bit i of the four bytes flips.
  const columns: number[] = []
  for (let bit = 0; bit < 32; bit++) {
    const flipped = Buffer.from(forged)
    flipped[fixAt + (bit >> 3)] ^= 1 << (bit & 7)
    columns.push((zlib.crc32(flipped) ^ base) >>> 0)
  }
  // Gauss-Jordan over GF(2) on [columns | identity]: find the bits whose columns XOR to the difference.
  const rows = columns.map((value, bit) => ({ value, bits: 2 ** bit }))
  const pivots: typeof rows = []
  for (let position = 31; position >= 0; position--) {
    const mask = 2 ** position
    const index = rows.findIndex((row) => (row.value & mask) >>> 0 !== 0)
    if (index < 0) continue
    const [pivot] = rows.splice(index, 1)
    for (const row of [...rows, ...pivots]) {
      if ((row.value & mask) >>> 0 !== 0) {
        row.value = (row.value ^ pivot.value) >>> 0
        row.bits = xor(row.bits, pivot.bits)
      }
    }
    pivots.push(pivot)
  }
  let want = (base ^ target) >>> 0
  let choose = 0
  for (const pivot of pivots) {
    const top = 31 - Math.clz32(pivot.value)
    if (top >= 0 && (want & (2 ** top)) >>> 0 !== 0) {
      want = (want ^ pivot.value) >>> 0
      choose = xor(choose, pivot.bits)
    }
  }
  if (want !== 0) throw new Error('forgeSameCrc: no solution at this position')
  for (let bit = 0; bit < 32; bit++)
    if (Math.floor(choose / 2 ** bit) % 2 === 1) forged[fixAt + (bit >> 3)] ^= 1 << (bit & 7)
  if (zlib.crc32(forged) !== target || forged.equals(content)) throw new Error('forgeSameCrc: forging failed')
  return forged
}

/** XOR of two 32-bit masks kept as non-negative numbers. */
function xor(a: number, b: number): number {
  return (a ^ b) >>> 0
}
