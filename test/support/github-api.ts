import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface StoredComment {
  id: number
  issueNumber: number
  body: string
}

/** An injected answer for the next matching request(s). */
export interface GithubFault {
  method?: string
  /** Default 1. */
  times?: number
  status: number
  headers?: Record<string, string>
  /** Do the real work first (the comment is stored), then answer with the fault: a lost answer. */
  afterHandling?: boolean
}

export interface GithubApiStandIn {
  url: string
  comments: StoredComment[]
  requests: { method: string; path: string }[]
  /** Answer every write with 403 (a fork PR's read-only token). */
  readOnly: boolean
  fail(fault: GithubFault): void
  close(): Promise<void>
}

/**
 * A loopback stand-in for the few GitHub REST routes the action uses. Strict where GitHub is:
 * a token is required, the repository must match, and bodies must be non-empty JSON strings.
 */
export async function startGithubApi(options: { token: string; repository: string }): Promise<GithubApiStandIn> {
  const faults: GithubFault[] = []
  const state: GithubApiStandIn = {
    url: '',
    comments: [],
    requests: [],
    readOnly: false,
    fail: (fault) => void faults.push({ ...fault }),
    close: async () => undefined,
  }
  let nextId = 1000
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const url = new URL(request.url ?? '/', 'http://localhost')
    state.requests.push({ method: request.method ?? '', path: url.pathname })
    const index = faults.findIndex((candidate) => !candidate.method || candidate.method === request.method)
    const fault = index >= 0 ? faults[index] : undefined
    if (fault) {
      fault.times = (fault.times ?? 1) - 1
      if (fault.times <= 0) faults.splice(index, 1)
    }
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers })
      response.end(JSON.stringify(body))
    }
    const send = (status: number, body: unknown) => {
      if (fault) answer(fault.status, { message: 'injected' }, fault.headers)
      else answer(status, body)
    }
    if (fault && !fault.afterHandling) return send(fault.status, undefined)
    if (
      request.headers.authorization !== `token ${options.token}` &&
      request.headers.authorization !== `Bearer ${options.token}`
    ) {
      return send(401, { message: 'Bad credentials' })
    }
    const prefix = `/repos/${options.repository}/`
    if (!url.pathname.startsWith(prefix)) return send(404, { message: 'Not Found' })
    const rest = url.pathname.slice(prefix.length)
    let body: { body?: unknown } = {}
    if (chunks.length > 0) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return send(400, { message: 'Problems parsing JSON' })
      }
    }
    const listMatch = /^issues\/(\d+)\/comments$/.exec(rest)
    const editMatch = /^issues\/comments\/(\d+)$/.exec(rest)
    if (listMatch && request.method === 'GET') {
      const perPage = Number(url.searchParams.get('per_page') ?? 30)
      const page = Number(url.searchParams.get('page') ?? 1)
      const all = state.comments.filter((comment) => comment.issueNumber === Number(listMatch[1]))
      return send(
        200,
        all.slice((page - 1) * perPage, page * perPage).map((comment) => ({ id: comment.id, body: comment.body })),
      )
    }
    if ((listMatch && request.method === 'POST') || (editMatch && request.method === 'PATCH')) {
      if (state.readOnly) return send(403, { message: 'Resource not accessible by integration' })
      if (typeof body.body !== 'string' || body.body.length === 0) return send(422, { message: 'Validation Failed' })
      if (body.body.length > 65536) return send(422, { message: 'body is too long (maximum is 65536 characters)' })
      if (listMatch) {
        const comment = { id: nextId++, issueNumber: Number(listMatch[1]), body: body.body }
        state.comments.push(comment)
        return send(201, { id: comment.id, body: comment.body })
      }
      const comment = state.comments.find((item) => item.id === Number(editMatch![1]))
      if (!comment) return send(404, { message: 'Not Found' })
      comment.body = body.body
      return send(200, { id: comment.id, body: comment.body })
    }
    if (/^commits\/[0-9a-f]+\/pulls$/.test(rest) && request.method === 'GET') return send(200, [])
    return send(404, { message: 'Not Found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  state.close = () => new Promise((resolve) => server.close(() => resolve()))
  return state
}
