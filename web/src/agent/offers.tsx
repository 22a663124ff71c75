// Offers: the popover (role alertdialog) for each pending offer, with the queue, the
// customer, the number they texted, how long they have waited and a live countdown.
// The list is GET /v1/me/offers, re-read whenever the stream mentions an offer.
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { onEvent } from "../events";
import { navigate } from "../lib/router";
import { createStore, useStore } from "../lib/store";
import { countdown, duration, parse } from "../lib/time";
import { formatPhone } from "../inbox/format";
import { refreshCountsSoon } from "../inbox/counts";
import { me as meStore, refreshMe } from "../session";
import type { Offer } from "../types";
import { useNow } from "../inbox/now";

export const offers = createStore<Offer[]>([]);

export async function loadOffers(): Promise<void> {
  try {
    const r = await api.get<{ offers: Offer[] }>("/v1/me/offers");
    offers.set(r.offers);
  } catch {
    /* signed out or offline: keep what we have */
  }
}

const OFFER_KINDS = new Set(["offer", "offer_expired", "offer_withdrawn", "offer_taken", "assigned", "transfer_accepted"]);
onEvent((e) => {
  if (OFFER_KINDS.has(e.kind)) void loadOffers();
});
meStore.subscribe((m) => (m ? void loadOffers() : offers.set([])));

export function OfferPopovers() {
  const list = useStore(offers);
  const now = useNow(1000);
  const live = list.filter((o) => parse(o.expires_at) > now - 1000);
  // An offer that ran out: re-read presence (now RONA) and offers.
  useEffect(() => {
    if (list.length && live.length < list.length) {
      offers.set(live);
      void refreshMe().catch(() => {});
      void loadOffers();
    }
  }, [live.length, list.length]);
  if (!live.length) return null;
  return (
    <div class="offers" aria-live="assertive">
      {/* The oldest offer in full; any others compact below it, so a burst stays on screen. */}
      {live.map((o, i) => <OfferCard key={o.conversation_id + o.offered_at} o={o} now={now} compact={i > 0} />)}
    </div>
  );
}

const KIND_TITLE = { route: "New conversation", transfer: "Transfer for you", conference: "Join a conversation" } as const;

function OfferCard({ o, now, compact }: { o: Offer; now: number; compact: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const left = parse(o.expires_at) - now;
  const total = Math.max(1, parse(o.expires_at) - parse(o.offered_at));
  const id = `offer-${o.conversation_id}`;
  async function accept() {
    setBusy(true);
    setError("");
    try {
      await api.post(`/v1/conversations/${o.conversation_id}/accept`, undefined, { headers: { "Idempotency-Key": crypto.randomUUID() } });
      offers.set((l) => l.filter((x) => x.conversation_id !== o.conversation_id));
      refreshCountsSoon();
      navigate(`/inbox/mine/c/${o.conversation_id}`);
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
      void loadOffers();
    }
  }
  if (compact) {
    return (
      <section class="offer card compact" role="alertdialog" aria-labelledby={`${id}-t`} aria-describedby={`${id}-d`}>
        <div class="offer-line">
          <h2 id={`${id}-t`} class="sr-only">{KIND_TITLE[o.kind] ?? "Offer"}</h2>
          <span id={`${id}-d`} class="small">
            {formatPhone(o.customer_phone)} · {o.queue}
          </span>
          <span class={`offer-clock small${left < 10_000 ? " urgent" : ""}`} role="timer" aria-label={`Expires in ${countdown(left)}`}>
            {countdown(left)}
          </span>
          <button class="btn primary small" type="button" disabled={busy || left <= 0} onClick={() => void accept()}>
            Accept
          </button>
        </div>
        {error && <p class="error small" role="alert">{error}</p>}
      </section>
    );
  }
  return (
    <section class="offer card" role="alertdialog" aria-labelledby={`${id}-t`} aria-describedby={`${id}-d`}>
      <header class="offer-head">
        <h2 id={`${id}-t`}>{KIND_TITLE[o.kind] ?? "Offer"}</h2>
        <span class={`offer-clock${left < 10_000 ? " urgent" : ""}`} role="timer" aria-label={`Expires in ${countdown(left)}`}>
          {countdown(left)}
        </span>
      </header>
      <div class="offer-bar" aria-hidden="true"><span style={{ width: `${Math.max(0, Math.min(100, (left / total) * 100))}%` }} /></div>
      <dl id={`${id}-d`} class="offer-facts">
        <dt>Queue</dt><dd>{o.queue}</dd>
        <dt>Customer</dt><dd>{formatPhone(o.customer_phone)}</dd>
        <dt>Texted</dt><dd>{formatPhone(o.team_number)}</dd>
        <dt>Waiting</dt><dd>{duration(now - parse(o.waiting_since))}</dd>
      </dl>
      {error && <p class="error small" role="alert">{error}</p>}
      <button class="btn primary block" type="button" disabled={busy || left <= 0} onClick={() => void accept()}>
        Accept
      </button>
    </section>
  );
}
