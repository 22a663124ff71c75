// Account: change password (more panels are added by the agent modules).
import { useState } from "preact/hooks";
import { api, errorText } from "../api";
import type { Me } from "../types";
import { PreferencesPanel } from "./preferences";
import { Sessions } from "./sessions";

export function AccountPage({ me }: { me: Me }) {
  return (
    <section class="page narrow">
      <h1>Account</h1>
      <p class="muted">
        {me.name} · {me.email} · {me.role}
      </p>
      <PreferencesPanel />
      <ChangePassword />
      <Sessions />
    </section>
  );
}

function ChangePassword() {
  const [cur, setCur] = useState("");
  const [next, setNext] = useState("");
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setMsg(null);
    try {
      await api.put("/v1/me/password", { current_password: cur, new_password: next });
      setCur("");
      setNext("");
      setMsg({ ok: true, text: "Password changed. Your other sessions were signed out." });
    } catch (err) {
      setMsg({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="card" onSubmit={submit} aria-labelledby="pw-title">
      <h2 id="pw-title">Change password</h2>
      <input type="text" name="username" autoComplete="username" hidden readOnly />
      <label class="field">
        <span>Current password</span>
        <input type="password" autoComplete="current-password" required value={cur} onInput={(e) => setCur(e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>New password</span>
        <input type="password" autoComplete="new-password" minLength={12} required value={next} onInput={(e) => setNext(e.currentTarget.value)} />
      </label>
      {msg && <p class={msg.ok ? "ok" : "error"} role={msg.ok ? "status" : "alert"}>{msg.text}</p>}
      <button class="btn primary" type="submit" disabled={busy}>Change password</button>
    </form>
  );
}
