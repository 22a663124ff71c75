// Helpers shared by the contact, search and supervisor screens: one way to call
// the API (through the shell's client) and to show dates, numbers and errors.

import { api, errorText as apiErrorText } from '../api';

/** The shell's API client (cookie, CSRF token, readable errors), with the paths these screens build. */
export const http = {
  get: <T>(path: string) => api.get<T>(path),
  post: <T>(path: string, body?: unknown, headers?: Record<string, string>) => api.post<T>(path, body ?? {}, headers ? { headers } : {}),
  put: <T>(path: string, body?: unknown) => api.put<T>(path, body ?? {}),
  patch: <T>(path: string, body: unknown) => api.patch<T>(path, body),
  del: <T = void>(path: string) => api.del<T>(path),
};

export const errorText = apiErrorText;

export * from './format';
