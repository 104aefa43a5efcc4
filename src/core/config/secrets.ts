/**
 * What the log masker must hide for one secret value: the value itself and each of its lines
 * (trimmed, longer than 8 characters), so no line of a PEM can show on its own. Lines are split at
 * every real line end (LF, CRLF and a lone CR, which some editors and secret stores keep) and at
 * the literal `\n` / `\r` escapes some secret stores keep (the key loader accepts all of them).
 */
export function secretParts(value: string): string[] {
  const lines = value
    .split(/\r\n|\r|\n|\\r\\n|\\n|\\r/)
    .map((line) => line.trim())
    .filter((line) => line.length > 8)
  return [value, ...lines]
}
