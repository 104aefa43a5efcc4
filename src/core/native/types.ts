/**
 * The native fingerprint, as the release records hold it (COMMON.md schema; the records module owns
 * the record types and re-uses these shapes).
 */
export interface NativePackage {
  name: string
  version: string
  android_checksum?: string
  ios_checksum?: string
}

export interface NativeFingerprint {
  /** Dependencies with native code for Capacitor, in package.json order (as Capgo's CLI lists them). */
  packages: NativePackage[]
  /** Installed @capacitor/android and @capacitor/ios versions. */
  capacitor: { android?: string; ios?: string }
}
