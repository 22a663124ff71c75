// Set a password from an invitation or reset link: /set-password?token=...
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { navigate } from "../lib/router";

interface Reset {
  email: string;
  name: string;
  expires_at: string;
}

export function SetPasswordPage({ token }: { token: string }) {
  const [info, setInfo] = useState<Reset | null>(null);
  const [loadError, setLoadError] = useState("");
  const [pw, setPw] = useState("");
  const [pw2, setPw2] = useState("");
  const [error, setError] = useState("");
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!token) {
      setLoadError("This link has no token. Ask your admin for a new invitation link.");
      return;
    }
    api.get<Reset>(`/v1/password-resets/${encodeURIComponent(token)}`).then(setInfo, () =>
      setLoadError("This link is unknown, already used or expired. Ask your admin for a new one."),
    );
  }, [token]);

  async function submit(e: Event) {
    e.preventDefault();
    setError("");
    if (pw !== pw2) {
      setError("The two passwords differ.");
      return;
    }
    setBusy(true);
    try {
      await api.post(`/v1/password-resets/${encodeURIComponent(token)}`, { password: pw });
      setDone(true);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="auth">
      <div class="card auth-card">
        <div class="brand brand-lg" aria-hidden="true">
          <span class="brand-mark">t</span> textdesk
        </div>
        <h1>Set your password</h1>
        {loadError && <p class="error" role="alert">{loadError}</p>}
        {!loadError && !info && <p class="muted" aria-busy="true">Checking the link…</p>}
        {info && !done && (
          <form onSubmit={submit}>
            <p>
              For <strong>{info.name}</strong> ({info.email}). At least 12 characters; a phrase of a few words works well.
            </p>
            <input type="text" name="username" autoComplete="username" value={info.email} hidden readOnly />
            <label class="field">
              <span>New password</span>
              <input type="password" autoComplete="new-password" minLength={12} required value={pw}
                onInput={(e) => setPw(e.currentTarget.value)} />
            </label>
            <label class="field">
              <span>Repeat password</span>
              <input type="password" autoComplete="new-password" minLength={12} required value={pw2}
                onInput={(e) => setPw2(e.currentTarget.value)} />
            </label>
            {error && <p class="error" role="alert">{error}</p>}
            <button class="btn primary block" type="submit" disabled={busy}>Set password</button>
          </form>
        )}
        {done && (
          <div role="status">
            <p>Your password is set.</p>
            <button class="btn primary block" type="button" onClick={() => navigate("/", { replace: true })}>
              Continue to sign in
            </button>
          </div>
        )}
      </div>
    </main>
  );
}
