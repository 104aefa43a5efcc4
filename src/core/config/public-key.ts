/**
 * The app's public key must be in exactly the form the updater plugin parses. Android's
 * `CryptoCipher.decryptFile` (and iOS's) check `publicKey.startsWith("-----BEGIN RSA PUBLIC KEY-----")`
 * and otherwise skip decryption silently, so every update then fails on the phone with a checksum
 * error; the body is base64 once whitespace is removed, so escapes or text after the END line break it.
 */
import { LiveUpdateError } from '../errors.js'
import { loadPublicKey } from '../keys.js'

const BEGIN = '-----BEGIN RSA PUBLIC KEY-----'
const END = '-----END RSA PUBLIC KEY-----'
const FIX =
  'Write it exactly as .capgo_key_v2.pub holds it, starting with -----BEGIN RSA PUBLIC KEY----- (nothing before it, not even a newline), e.g. \'live-update key create --config capacitor.config.json\' writes it, or in JSON "publicKey": "-----BEGIN RSA PUBLIC KEY-----\\nMIIB...\\n-----END RSA PUBLIC KEY-----\\n"; then run \'npx cap sync\' and ship a native build.'

function formError(source: string, problem: string): LiveUpdateError {
  return new LiveUpdateError(
    'input_public_key_form_invalid',
    `The app's public key (${source}) ${problem}, so the updater plugin would skip decryption and every update would fail on devices. ${FIX}`,
    {
      stage: 'input',
      field: 'public-key',
    },
  )
}

/** Throws (stage input) unless `text` is an RSA-2048 PKCS#1 key in the exact form the plugin reads. */
export function checkPluginPublicKey(text: string, source: string): void {
  try {
    loadPublicKey(text, source)
  } catch (error) {
    if (error instanceof LiveUpdateError)
      throw new LiveUpdateError(error.code, error.message, { stage: 'input', field: 'public-key', cause: error })
    throw error
  }
  const at = text.indexOf(BEGIN)
  if (at > 0) {
    const before = text.slice(0, at)
    const what = /^\s+$/.test(before)
      ? /^[ \t]+$/.test(before)
        ? 'spaces'
        : 'a line break'
      : `${before.length} characters`
    throw formError(source, `has ${what} before ${BEGIN}`)
  }
  if (/\\[nr]/.test(text))
    throw formError(source, 'holds the two characters \\n (an escaped newline) instead of line breaks')
  const end = text.indexOf(END)
  if (end === -1 || text.slice(end + END.length).trim() !== '') throw formError(source, `has text after ${END}`)
}
