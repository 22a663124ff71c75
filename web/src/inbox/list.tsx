// One inbox's conversations, in the server's order, a page at a time (keyset cursor):
// the next page loads when the end of the list scrolls into view (or "Load more" is
// pressed), so an inbox of 10,000 stays as quick as one of 10. Events refresh the loaded
// window in place.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { onEvent } from "../events";
import { Link } from "../lib/router";
import { useStore } from "../lib/store";
import { duration, parse, shortTime } from "../lib/time";
import { me as meStore } from "../session";
import type { Conversation, ConversationPage, Inbox, Me } from "../types";
import { listTick } from "./counts";
import { assignees, customerName, formatPhone, nextActionLabel, STATUS_LABEL } from "./format";
import { useNow } from "./now";

const PAGE = 50;

export function ConversationList(props: { inbox: Inbox; teamId?: string; selectedId?: string; title: string }) {
  const { inbox, teamId, selectedId } = props;
  const me = useStore(meStore);
  const [items, setItems] = useState<Conversation[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState("");
  const sentinel = useRef<HTMLLIElement>(null);
  const state = useRef({ items, cursor, loading, gen: 0 });
  state.current.items = items;
  state.current.cursor = cursor;
  state.current.loading = loading;
  const now = useNow(30_000);

  async function loadFirst(limit = PAGE) {
    const gen = ++state.current.gen;
    try {
      const page = await api.get<ConversationPage>("/v1/conversations", { inbox, team: teamId, limit });
      if (gen !== state.current.gen) return;
      setItems((prev) => {
        // Keep pages beyond the refreshed window (rare: more than 200 loaded).
        const ids = new Set(page.conversations.map((c) => c.id));
        return prev.length > limit ? [...page.conversations, ...prev.slice(limit).filter((c) => !ids.has(c.id))] : page.conversations;
      });
      if (state.current.items.length <= limit) setCursor(page.next_cursor);
      setError("");
    } catch (e) {
      if (gen === state.current.gen) setError(errorText(e));
    } finally {
      if (gen === state.current.gen) setLoading(false);
    }
  }

  async function loadMore() {
    const s = state.current;
    if (s.loading || !s.cursor) return;
    setLoading(true);
    const gen = s.gen;
    try {
      const page = await api.get<ConversationPage>("/v1/conversations", { inbox, team: teamId, limit: PAGE, cursor: s.cursor });
      if (gen !== state.current.gen) return;
      setItems((prev) => {
        const ids = new Set(prev.map((c) => c.id));
        return [...prev, ...page.conversations.filter((c) => !ids.has(c.id))];
      });
      setCursor(page.next_cursor);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  }

  // A new inbox: start over.
  useEffect(() => {
    setItems([]);
    setCursor(undefined);
    setLoading(true);
    setError("");
    void loadFirst();
  }, [inbox, teamId]);

  // Live: refresh the loaded window (coalesced) whenever something may have moved.
  useEffect(() => {
    let t: number | undefined;
    const off = onEvent((e) => {
      if (e.kind === "presence_changed") return;
      window.clearTimeout(t);
      t = window.setTimeout(() => void loadFirst(Math.min(200, Math.max(PAGE, state.current.items.length))), 300);
    });
    return () => {
      off();
      window.clearTimeout(t);
    };
  }, [inbox, teamId]);

  // Our own changes (read, reply, actions) refresh the window too.
  useEffect(
    () => listTick.subscribe(() => void loadFirst(Math.min(200, Math.max(PAGE, state.current.items.length)))),
    [inbox, teamId],
  );

  // Infinite scroll.
  useEffect(() => {
    const el = sentinel.current;
    if (!el) return;
    const io = new IntersectionObserver((es) => es.some((x) => x.isIntersecting) && void loadMore(), { rootMargin: "400px" });
    io.observe(el);
    return () => io.disconnect();
  }, [sentinel.current, cursor]);

  return (
    <section class="list-pane" aria-labelledby="list-title">
      <header class="pane-head">
        <h1 id="list-title">{props.title}</h1>
        <span class="muted small" aria-live="polite">
          {loading && items.length === 0 ? "Loading…" : cursor ? `${items.length}+ loaded` : `${items.length} conversation${items.length === 1 ? "" : "s"}`}
        </span>
      </header>
      {error && <p class="error pad" role="alert">{error}</p>}
      {!loading && !error && items.length === 0 && <EmptyInbox inbox={inbox} />}
      <ul class="conv-list" aria-label={`${props.title} conversations`}>
        {items.map((c) => (
          <Row key={c.id} c={c} inbox={inbox} teamId={teamId} selected={c.id === selectedId} now={now} meId={me?.id} />
        ))}
        {cursor && (
          <li ref={sentinel} class="more">
            <button class="btn small" type="button" onClick={() => void loadMore()} disabled={loading}>
              {loading ? "Loading…" : "Load more"}
            </button>
          </li>
        )}
      </ul>
    </section>
  );
}

function Row({ c, inbox, teamId, selected, now, meId }: { c: Conversation; inbox: Inbox; teamId?: string; selected: boolean; now: number; meId?: string }) {
  const me = useStore(meStore);
  const who = assignees(c, me ?? null);
  const waiting = c.status !== "closed" ? duration(now - parse(c.next_action_since)) : "";
  const needsAgent = c.next_action === "agent" && c.status !== "closed";
  const unread = c.unread ?? 0;
  const href = `/inbox/${inbox}/c/${c.id}${teamId ? `?team=${teamId}` : ""}`;
  return (
    <li class={`conv${selected ? " selected" : ""}${unread ? " has-unread" : ""}`}>
      <Link href={href} aria-current={selected ? "true" : undefined} class="conv-link">
        <div class="conv-line">
          <span class="conv-name">{customerName(c)}</span>
          {unread > 0 && <span class="badge unread" aria-label={`${unread} unread`}>{unread}</span>}
          <time class="conv-time muted" dateTime={c.last_message_at ?? c.opened_at}>{shortTime(c.last_message_at ?? c.opened_at)}</time>
        </div>
        {(c.contact_ref || c.contact_name) && (
          <div class="conv-line small">
            {c.contact_ref && <span class="muted">Ref {c.contact_ref}</span>}
            {c.contact_name && <span class="muted">{formatPhone(c.contact_phone)}</span>}
          </div>
        )}
        <div class="conv-line small">
          <span class={`pill${needsAgent ? " agent" : ""}`}>{nextActionLabel(c) || STATUS_LABEL[c.status]}</span>
          {waiting && c.status !== "wrap_up" && <span class="muted" title="Waiting time">{waiting}</span>}
          {c.visible_to.length > 0 && <span class="pill restricted">Restricted</span>}
          {!teamId && teamName(me, c.team_id) && <span class="pill">{teamName(me, c.team_id)}</span>}
          <span class="conv-who muted">
            {who.length ? who.map((p) => (p.id === meId ? "You" : p.name)).join(", ") : c.status === "closed" ? "" : "Unassigned"}
          </span>
        </div>
      </Link>
    </li>
  );
}

/** The team's name when the user is in several (one team needs no label). */
function teamName(me: Me | null | undefined, teamId: string): string {
  const teams = me?.teams ?? [];
  return teams.length > 1 ? (teams.find((t) => t.id === teamId)?.name ?? "") : "";
}

function EmptyInbox({ inbox }: { inbox: Inbox }) {
  const text: Record<Inbox, string> = {
    new: "Nothing waiting. New conversations appear here the moment a customer texts.",
    missed: "No missed conversations.",
    mine: "You have no conversations in progress. Go Available to receive offers.",
    team: "No conversations in progress in your team.",
    other: "Nobody else has a conversation in progress.",
    archived: "No closed conversations yet.",
  };
  return <p class="empty muted">{text[inbox]}</p>;
}
