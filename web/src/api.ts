// The one way the console talks to /v1: same-origin fetch with the session cookie, the
// CSRF token on anything that changes state, and the API's {"error":{code,message}}
// turned into an ApiError whose message a person can read.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

let csrfToken = "";
let onUnauthorized: (() => void) | null = null;

/** Set from the csrf_token of POST /v1/sessions or GET /v1/me. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token ?? "";
}

/** Called on any 401 (session expired or signed out elsewhere): show sign-in. */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Do not trigger the sign-in screen on 401 (the sign-in call itself). */
  quiet401?: boolean;
}

export function url(path: string, query?: RequestOptions["query"]): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
  if (method !== "GET" && method !== "HEAD" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(url(path, opts.query), {
      method,
      headers,
      body,
      credentials: "same-origin",
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "network", "Cannot reach textdesk. Check your connection; retrying may help.");
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    const retry = Number(res.headers.get("Retry-After")) || undefined;
    const e = new ApiError(res.status, err?.code ?? `http_${res.status}`, readable(res.status, err?.message), retry);
    if (res.status === 401 && !opts.quiet401) onUnauthorized?.();
    throw e;
  }
  return data as T;
}

function readable(status: number, message: string | undefined): string {
  if (message) return message.charAt(0).toUpperCase() + message.slice(1);
  if (status === 401) return "Please sign in again.";
  if (status === 403) return "You are not allowed to do that.";
  if (status === 404) return "Not found (it may have been deleted or restricted).";
  if (status === 429) return "Too many attempts. Wait a moment and try again.";
  if (status >= 500) return "textdesk had a problem. Try again in a moment.";
  return `Request failed (${status}).`;
}

export const api = {
  get: <T>(path: string, query?: RequestOptions["query"], signal?: AbortSignal) =>
    request<T>("GET", path, { query, signal }),
  post: <T>(path: string, body?: unknown, opts: RequestOptions = {}) =>
    request<T>("POST", path, { ...opts, body: body ?? {} }),
  put: <T>(path: string, body?: unknown) => request<T>("PUT", path, { body: body ?? {} }),
  patch: <T>(path: string, body?: unknown) => request<T>("PATCH", path, { body }),
  del: <T = void>(path: string) => request<T>("DELETE", path),
};

/** An error's message for display, whatever was thrown. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
