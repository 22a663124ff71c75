// Alerts for events the server flags (`alert: true`, decided by the user's
// preferences): a desktop notification, a short generated beep (WebAudio, no audio
// file) when `sound` is on, and a count in the tab title until the tab is looked at.
import { api } from "../api";
import { onEvent } from "../events";
import { createStore } from "../lib/store";
import { navigate } from "../lib/router";
import { me as meStore } from "../session";
import { offers } from "./offers";
import type { Preferences, ServerEvent } from "../types";

export const preferences = createStore<Preferences | null>(null);

// Servers before the live branch send no `alert`: these kinds alert then.
const DEFAULT_ALERT = new Set(["offer", "missed", "new_message", "conversation_new"]);

export async function loadPreferences(): Promise<void> {
  try {
    preferences.set(await api.get<Preferences>("/v1/me/preferences"));
  } catch {
    preferences.set(null);
  }
}
meStore.subscribe((m) => m && void loadPreferences());

let unseen = 0;
const baseTitle = "textdesk";
// Alerts not yet looked at, plus offers waiting for an answer (visible tab or not).
function setTitle() {
  const n = unseen + offers.get().length;
  document.title = n > 0 ? `(${n}) ${baseTitle}` : baseTitle;
}
offers.subscribe(setTitle);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") {
    unseen = 0;
    setTitle();
  }
});

let audio: AudioContext | null = null;
export function beep(): void {
  try {
    audio ??= new AudioContext();
    const t = audio.currentTime;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.setValueAtTime(880, t);
    osc.frequency.setValueAtTime(660, t + 0.12);
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
    osc.connect(gain).connect(audio.destination);
    osc.start(t);
    osc.stop(t + 0.32);
  } catch {
    /* no audio device, or autoplay blocked until the first click */
  }
}

function shouldAlert(e: ServerEvent): boolean {
  return e.alert ?? DEFAULT_ALERT.has(e.kind);
}

onEvent((e) => {
  if (!shouldAlert(e)) return;
  const prefs = preferences.get();
  if (prefs?.sound !== false) beep();
  if (document.visibilityState !== "visible") {
    unseen++;
    setTitle();
  }
  if ("Notification" in window && Notification.permission === "granted" && document.visibilityState !== "visible") {
    const n = new Notification("textdesk", { body: e.text, tag: e.conversation_id ?? String(e.id) });
    n.onclick = () => {
      window.focus();
      if (e.conversation_id) navigate(`/inbox/mine/c/${e.conversation_id}`);
      n.close();
    };
  }
});
