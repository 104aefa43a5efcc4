// AWS Lambda entry (dist/lambda.mjs) for a function URL (payload format 2.0); STATE_URL etc. from the environment.
import { toLambdaResult, toRequest, type FunctionUrlEvent, type FunctionUrlResult } from '../server/lambda-event.js'
import { responderFromEnv } from '../server/env.js'
import { misconfigured } from '../server/misconfigured.js'
import type { Responder } from '../server/handler.js'

let responder: Responder | undefined

export async function handler(event: FunctionUrlEvent): Promise<FunctionUrlResult> {
  try {
    responder ??= responderFromEnv(process.env, { log: (line) => console.error(line) })
  } catch (error) {
    return toLambdaResult(misconfigured(error))
  }
  return toLambdaResult(await responder.fetch(toRequest(event)))
}
