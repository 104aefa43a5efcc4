/**
 * What a store throws when a conditional write (If-Match / If-None-Match) cannot be done: the
 * records layer retries on a conflict and switches to its fallback when the provider lacks them.
 */
export class WriteConflict extends Error {
  constructor(readonly key: string) {
    super(`The object ${key} changed (or appeared) since it was read.`)
    this.name = 'WriteConflict'
  }
}

export class ConditionalWritesUnsupported extends Error {
  constructor(
    readonly key: string,
    readonly store: string,
  ) {
    super(`${store} does not support conditional writes (If-Match / If-None-Match).`)
    this.name = 'ConditionalWritesUnsupported'
  }
}

export function isWriteConflict(error: unknown): error is WriteConflict {
  return error instanceof WriteConflict
}

export function isConditionalUnsupported(error: unknown): error is ConditionalWritesUnsupported {
  return error instanceof ConditionalWritesUnsupported
}
