// Who is signed in. `me` is null while signed out (the sign-in screen shows), undefined
// while the first GET /v1/me is in flight.
import { api, setCsrfToken, setUnauthorizedHandler } from "./api";
import { setStreamProbe, startEvents, stopEvents } from "./events";
import { createStore } from "./lib/store";
import type { Me, MeTeam } from "./types";

export const me = createStore<Me | null | undefined>(undefined);

function signedIn(m: Me): void {
  setCsrfToken(m.csrf_token);
  me.set(m);
  startEvents();
}

function signedOut(): void {
  stopEvents();
  setCsrfToken(undefined);
  me.set(null);
}

setUnauthorizedHandler(() => {
  if (me.get()) signedOut();
});
// A stream that closed for good: if the session is gone, GET /v1/me's 401 signs us out.
setStreamProbe(() => void api.get("/v1/me").catch(() => {}));

export async function loadMe(): Promise<void> {
  try {
    signedIn(await api.get<Me>("/v1/me"));
  } catch {
    signedOut();
  }
}

export async function signIn(email: string, password: string): Promise<void> {
  const m = await api.post<Me>("/v1/sessions", { email, password }, { quiet401: true });
  // Older servers answer without csrf_token; GET /v1/me then carries it.
  signedIn(m.csrf_token ? m : await api.get<Me>("/v1/me"));
}

export async function signOut(): Promise<void> {
  try {
    await api.del("/v1/sessions/current");
  } finally {
    signedOut();
  }
}

/** Refresh the caller (presence, teams) without touching the stream. */
export async function refreshMe(): Promise<void> {
  const m = await api.get<Me>("/v1/me");
  if (m.csrf_token) setCsrfToken(m.csrf_token);
  me.set(m);
}

/** The caller's teams with names and roles; falls back to ids until the live branch's `teams`. */
export function myTeams(m: Me): MeTeam[] {
  if (m.teams && m.teams.length) return m.teams;
  return m.team_ids.map((id) => ({ id, name: "Team", role: m.role === "admin" ? "supervisor" : "agent" }));
}

export function isSupervisor(m: Me, teamId?: string): boolean {
  if (m.role === "admin") return true;
  return myTeams(m).some((t) => t.role === "supervisor" && (!teamId || t.id === teamId));
}
