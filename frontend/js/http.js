// fetch() with the errors a page has to tell apart: the server is unreachable, a password is
// wrong, or the server refused the request with an RFC 9457 problem (protocol.md §2, §3).

export class HttpError extends Error {
  /**
   * @param {number} status  HTTP status, or 0 when the server could not be reached at all
   * @param {string} message what to show a person
   */
  constructor(status, message, problem = null) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.problem = problem;
  }

  get unreachable() { return this.status === 0; }
  get unauthorized() { return this.status === 401; }
}

/**
 * Requests path and returns the parsed JSON body (or text, or null for 204).
 *
 * Credentials are omitted on purpose: the actuator answers 401 with WWW-Authenticate: Basic, and a
 * request that carries the browser's credentials would make it pop up its own login dialog. The
 * dashboard sends its Authorization header itself.
 */
export async function request(path, { method = 'GET', body, auth, accept = 'application/json', timeoutMs = 8000 } = {}) {
  const headers = { Accept: accept };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth) headers.Authorization = auth;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      signal: controller.signal,
    });
  } catch (e) {
    throw new HttpError(0, controller.signal.aborted
      ? 'The server did not answer in time.'
      : 'The server cannot be reached.');
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') ?? '';
  if (!response.ok) {
    let problem = null;
    if (type.includes('json')) {
      try { problem = await response.json(); } catch { /* no body */ }
    }
    throw new HttpError(response.status, describe(response.status, problem), problem);
  }
  if (type.includes('json')) return response.json();
  return response.text();
}

function describe(status, problem) {
  if (problem?.detail) return problem.detail;
  if (problem?.title) return problem.title;
  if (status === 401) return 'Wrong or missing password.';
  if (status === 403) return 'Not allowed.';
  if (status === 404) return 'Not found.';
  if (status === 503) return 'The server is busy or restarting (503).';
  if (status >= 500) return `The server failed (${status}).`;
  return `Request failed (${status}).`;
}

/** The header value for HTTP Basic as the given user; UTF-8 safe. */
export function basicAuth(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}
