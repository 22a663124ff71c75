// The caller's signed-in sessions (GET /v1/me/sessions), each revocable.
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { fullTime } from "../lib/time";

interface Session {
  id: string;
  created_at: string;
  last_used_at: string;
  user_agent: string;
  current: boolean;
}

export function Sessions() {
  const [list, setList] = useState<Session[] | null>(null);
  const [error, setError] = useState("");
  const load = () => api.get<{ sessions: Session[] }>("/v1/me/sessions").then((r) => setList(r.sessions), () => setList(null));
  useEffect(() => void load(), []);
  if (!list) return null;
  return (
    <section class="card" aria-labelledby="sess-title">
      <h2 id="sess-title">Where you are signed in</h2>
      <ul class="plain">
        {list.map((s) => (
          <li key={s.id} class="row between">
            <span>
              {browser(s.user_agent)} {s.current && <span class="pill">This browser</span>}
              <br />
              <span class="muted small">Signed in {fullTime(s.created_at)} · last used {fullTime(s.last_used_at)}</span>
            </span>
            {!s.current && (
              <button class="btn small" type="button" onClick={() => api.del(`/v1/me/sessions/${s.id}`).then(load, (e) => setError(errorText(e)))}>
                Sign out
              </button>
            )}
          </li>
        ))}
      </ul>
      {error && <p class="error small" role="alert">{error}</p>}
    </section>
  );
}

function browser(ua: string): string {
  if (!ua) return "Unknown device";
  const m = /(Firefox|Edg|Chrome|Safari|curl)\/[\d.]+/.exec(ua);
  const os = /(Windows|Mac OS X|Linux|Android|iPhone|iPad)/.exec(ua);
  return `${m ? m[1]!.replace("Edg", "Edge") : "Browser"}${os ? ` on ${os[1]!.replace("Mac OS X", "macOS")}` : ""}`;
}
