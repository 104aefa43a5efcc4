/**
 * Release management: publish with records and staged rollout, promote, rollback, cleanup.
 * `createReleaseServer` gives each `server` its part (Capgo API calls, webhook events, nothing).
 */
import { httpDependencies, type RegistrarConfig, type RegistrarDependencies } from '../register/index.js'
import { createCapgoReleaseServer } from './capgo-channels.js'
import { recordsOnlyServer, type ReleaseServer } from './server.js'
import { createWebhookReleaseServer } from './webhook-events.js'

export function createReleaseServer(config: RegistrarConfig, options: RegistrarDependencies = {}): ReleaseServer {
  const deps = httpDependencies(options)
  switch (config.kind) {
    case 'capgo':
      return createCapgoReleaseServer({ apiUrl: config.apiUrl, apiKey: config.apiKey, ...deps })
    case 'webhook':
      return createWebhookReleaseServer({ url: config.url, secret: config.secret, ...deps })
    case 'none':
    case 'self-hosted':
      return recordsOnlyServer(config.kind)
  }
}

export { cleanup, promote, rollback, type ModeContext } from './release.js'
export { commitPublish, planPublish, type PublishPlan, type PublishReleaseOptions } from './publish-records.js'
export { describeState, type ReleaseMode, type ReleaseOutcome } from './outcome.js'
export { previewChannel, previewVersion, previewJoinInstructions } from './preview.js'
export type { ReleaseServer, ServerChannelState } from './server.js'
export { DELETED_EVENT, PROMOTED_EVENT, ROLLED_BACK_EVENT } from './webhook-events.js'
export {
  parseRolloutPercentage,
  resolveRelease,
  RELEASE_MODES,
  type ReleaseFacts,
  type ReleaseInputs,
  type ReleaseSettings,
} from './inputs.js'
