// Alert preferences (GET/PUT /v1/me/preferences) and this browser's notification permission.
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { beep, loadPreferences, preferences } from "../agent/alerts";
import { useStore } from "../lib/store";
import type { Preferences } from "../types";

const FIELDS: [keyof Preferences, string, string][] = [
  ["new_conversation_alerts", "New conversations", "A customer texts your team and the conversation waits in New."],
  ["missed_conversation_alerts", "Missed conversations", "A text arrives while chat is off."],
  ["your_conversation_alerts", "Your conversations", "A customer replies in a conversation you are on, or you get an offer."],
  ["sound", "Sound", "Play a short tone with each alert."],
];

export function PreferencesPanel() {
  const prefs = useStore(preferences);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [perm, setPerm] = useState(() => ("Notification" in window ? Notification.permission : "unsupported"));
  useEffect(() => void loadPreferences(), []);

  async function toggle(k: keyof Preferences, v: boolean) {
    if (!prefs) return;
    const next = { ...prefs, [k]: v };
    preferences.set(next);
    try {
      preferences.set(await api.put<Preferences>("/v1/me/preferences", next));
      setMsg({ ok: true, text: "Saved." });
    } catch (e) {
      preferences.set(prefs);
      setMsg({ ok: false, text: errorText(e) });
    }
  }

  return (
    <section class="card" aria-labelledby="prefs-title">
      <h2 id="prefs-title">Alerts</h2>
      {!prefs && <p class="muted">Alert preferences are not available on this server yet.</p>}
      {prefs &&
        FIELDS.map(([k, label, help]) => (
          <label class="check" key={k}>
            <input type="checkbox" checked={prefs[k]} onChange={(e) => void toggle(k, e.currentTarget.checked)} />
            <span>
              <strong>{label}</strong> <span class="muted small">{help}</span>
            </span>
          </label>
        ))}
      {msg && <p class={`small ${msg.ok ? "ok" : "error"}`} role={msg.ok ? "status" : "alert"}>{msg.text}</p>}
      <div class="row">
        {perm === "default" && (
          <button class="btn" type="button" onClick={() => void Notification.requestPermission().then(setPerm)}>
            Enable desktop notifications
          </button>
        )}
        {perm === "granted" && <span class="muted small">Desktop notifications are on for this browser.</span>}
        {perm === "denied" && <span class="muted small">Desktop notifications are blocked in this browser's site settings.</span>}
        <button class="btn ghost" type="button" onClick={beep}>Test sound</button>
      </div>
    </section>
  );
}
