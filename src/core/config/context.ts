/**
 * What the pipeline may know about the run that started it, given by the adapter (the action reads
 * it from GitHub's environment; the CLI passes only its folder). Core never reads `process.env`.
 */
export interface RunContext {
  /** Folder relative inputs resolve from (before working-directory). */
  cwd: string
  /** Folder for temporary files (the runner's RUNNER_TEMP), else the OS default. */
  tempDir?: string
  /** The git ref being built, e.g. `refs/tags/v1.2.3`: a tag gives the version. */
  ref?: string
  /** Recorded with the registration (link, comment, release records). */
  git?: { sha?: string; ref?: string; repository?: string; runUrl?: string; runId?: string; runAttempt?: string }
  /**
   * Set when a pull request started the run: its secrets may be withheld (forks, Dependabot), so a
   * missing private key means "check only" instead of an error.
   */
  pullRequest?: {
    number?: number
    /** Why the run may have no secrets, in words (e.g. "a pull request from a fork"), when known. */
    secretsWithheld?: string
  }
  /** The workflow's run number (GITHUB_RUN_NUMBER): preview versions end in it. */
  runNumber?: string
}
