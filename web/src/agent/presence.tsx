// Presence: a native select named "Presence" (Available / Away), and the RONA banner
// that brings an agent who let an offer expire back to Available in one click.
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { onEvent } from "../events";
import { useStore } from "../lib/store";
import { me as meStore, refreshMe } from "../session";
import type { Me, Presence, PresenceState } from "../types";

export async function setPresence(state: PresenceState): Promise<void> {
  const p = await api.put<Presence>("/v1/me/presence", { state });
  meStore.set((m) => (m ? { ...m, presence: p } : m));
}

// Our own presence changes (RONA after an expired offer, another tab) come as events.
onEvent((e) => {
  const m = meStore.get();
  if (!m) return;
  if (e.kind === "offer_expired" || (e.kind === "presence_changed" && e.data?.user_id === m.id)) void refreshMe().catch(() => {});
});

export function PresenceControl({ me }: { me: Me }) {
  const [error, setError] = useState("");
  const state = me.presence.state;
  return (
    <div class="presence">
      <span class={`dot ${state}`} aria-hidden="true" />
      <select
        aria-label="Presence"
        value={state === "available" || state === "away" ? state : ""}
        onChange={async (e) => {
          setError("");
          try {
            await setPresence(e.currentTarget.value as PresenceState);
          } catch (err) {
            setError(errorText(err));
          }
        }}
      >
        {state === "rona" && <option value="" disabled>RONA (missed an offer)</option>}
        {state === "offline" && <option value="" disabled>Offline</option>}
        <option value="available">Available</option>
        <option value="away">Away</option>
      </select>
      {error && <span class="error small" role="alert">{error}</span>}
    </div>
  );
}

export function RonaBanner() {
  const m = useStore(meStore);
  const [busy, setBusy] = useState(false);
  useEffect(() => setBusy(false), [m?.presence.state]);
  if (!m || m.presence.state !== "rona") return null;
  return (
    <div class="banner rona" role="alert">
      <span>
        <strong>You are in RONA</strong>: an offer expired without an answer, so no new conversations are offered to you.
      </span>
      <button class="btn primary small" type="button" disabled={busy} onClick={() => { setBusy(true); void setPresence("available").catch(() => setBusy(false)); }}>
        Return to Available
      </button>
    </div>
  );
}
