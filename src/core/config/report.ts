/** Report inputs (action only): job summary, pull request comment, and the token for it. */
import type { Inputs } from './reader.js'

export type PrCommentMode = 'auto' | 'always' | 'never'

export interface ReportSettings {
  summary: boolean
  prComment: PrCommentMode
  githubToken?: string
}

export function resolveReport(inputs: Inputs): ReportSettings {
  return {
    summary: inputs.bool('summary'),
    prComment: inputs.choice<PrCommentMode>('pr-comment'),
    githubToken: inputs.secret('github-token'),
  }
}
