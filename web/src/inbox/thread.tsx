// The conversation's thread: newest page first, older pages as the reader scrolls up
// (keyset cursor, order=newest), kept current by the event stream. Delivery statuses
// still in flight are re-read every few seconds until they settle.
import { Fragment } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { onEvent } from "../events";
import { dayLabel, fullTime, shortTime } from "../lib/time";
import type { ConversationDetail, Message, MessagePage, ServerEvent } from "../types";

const PAGE = 50;
const IN_FLIGHT = new Set(["queued", "sending", "sent"]);

/** A system line in the thread: derived from the conversation and live events. */
export interface SystemLine {
  id: string;
  at: string;
  text: string;
}

type Item = { kind: "msg"; m: Message } | { kind: "sys"; s: SystemLine };

export function Thread(props: {
  conv: ConversationDetail;
  meId: string;
  names: (id: string | null) => string;
  extra: SystemLine[];
  onNewest?: (m: Message | undefined) => void;
  reloadKey: number;
}) {
  const { conv } = props;
  const [msgs, setMsgs] = useState<Message[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState("");
  const box = useRef<HTMLDivElement>(null);
  const top = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const anchor = useRef<{ h: number; t: number } | null>(null);
  const st = useRef({ cursor, loading, id: conv.id });
  st.current.cursor = cursor;
  st.current.loading = loading;

  async function refreshNewest() {
    const id = conv.id;
    try {
      const page = await api.get<MessagePage>(`/v1/conversations/${id}/messages`, { order: "newest", limit: PAGE });
      if (st.current.id !== id) return;
      setMsgs((prev) => merge(prev, page.messages));
      setError("");
      return page;
    } catch (e) {
      setError(errorText(e));
      return undefined;
    }
  }

  // Open: the newest page.
  useEffect(() => {
    st.current.id = conv.id;
    setMsgs([]);
    setCursor(undefined);
    setLoading(true);
    stick.current = true;
    void refreshNewest().then((page) => {
      if (page) setCursor(page.next_cursor);
      setLoading(false);
    });
  }, [conv.id]);

  // Something happened here (a send, an event): re-read the newest page.
  useEffect(() => {
    if (props.reloadKey) void refreshNewest();
  }, [props.reloadKey]);

  useEffect(
    () =>
      onEvent((e: ServerEvent) => {
        if (e.conversation_id === conv.id) void refreshNewest();
      }),
    [conv.id],
  );

  // Delivery statuses in flight: poll gently until they settle.
  const pending = msgs.some((m) => m.direction === "outbound" && IN_FLIGHT.has(m.status) && Date.now() - Date.parse(m.created_at) < 10 * 60_000);
  useEffect(() => {
    if (!pending) return;
    const t = window.setInterval(() => void refreshNewest(), 3000);
    return () => window.clearInterval(t);
  }, [pending, conv.id]);

  async function loadOlder() {
    const s = st.current;
    if (s.loading || !s.cursor) return;
    setLoading(true);
    try {
      const page = await api.get<MessagePage>(`/v1/conversations/${conv.id}/messages`, { order: "newest", limit: PAGE, cursor: s.cursor });
      if (st.current.id !== conv.id) return;
      // Measured now, just before the older page renders above: the layout effect
      // then keeps the reader's place.
      const el = box.current;
      if (el) anchor.current = { h: el.scrollHeight, t: el.scrollTop };
      setMsgs((prev) => merge(prev, page.messages));
      setCursor(page.next_cursor);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  }

  // Older pages keep the reader's place; new messages follow the bottom if the reader is there.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (anchor.current) {
      el.scrollTop = el.scrollHeight - anchor.current.h + anchor.current.t;
      anchor.current = null;
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [msgs, props.extra.length, loading]);

  useEffect(() => {
    const el = top.current;
    if (!el || !box.current) return;
    const io = new IntersectionObserver((es) => es.some((x) => x.isIntersecting) && void loadOlder(), { root: box.current, rootMargin: "300px" });
    io.observe(el);
    return () => io.disconnect();
  }, [cursor, conv.id]);

  const newest = msgs[msgs.length - 1];
  useEffect(() => props.onNewest?.(newest), [newest?.id]);

  const items: Item[] = [
    ...msgs.map((m): Item => ({ kind: "msg", m })),
    ...props.extra.map((s): Item => ({ kind: "sys", s })),
  ].sort((a, b) => at(a).localeCompare(at(b)));

  let lastDay = "";
  return (
    <div
      class="thread"
      ref={box}
      role="log"
      aria-label="Messages"
      aria-live="polite"
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
      }}
    >
      <div ref={top} class="thread-top">
        {cursor ? (
          <button class="btn small ghost" type="button" onClick={() => void loadOlder()} disabled={loading}>
            {loading ? "Loading…" : "Load earlier messages"}
          </button>
        ) : (
          !loading && <p class="muted small center">Conversation opened {fullTime(conv.opened_at)}</p>
        )}
      </div>
      {error && <p class="error center" role="alert">{error}</p>}
      {items.map((it, i) => {
        const t = at(it);
        const day = dayLabel(t);
        const sep = day !== lastDay ? <div class="day-sep" role="separator"><span>{day}</span></div> : null;
        lastDay = day;
        const next = items[i + 1];
        // A run of messages from the same person shows its time and status once, at the end.
        const grouped = it.kind === "msg" && next?.kind === "msg" && sameRun(it.m, next.m) && dayLabel(next.m.created_at) === day;
        return (
          <Fragment key={it.kind === "msg" ? it.m.id : `s${it.s.id}`}>
            {sep}
            {it.kind === "msg" ? <Bubble m={it.m} names={props.names} meId={props.meId} compact={grouped} /> : <SysRow s={it.s} />}
          </Fragment>
        );
      })}
      {conv.status === "closed" && (
        <SysRow s={{ id: "closed", at: conv.closed_at ?? "", text: `Closed${conv.wrap_up_reason ? ` · wrap-up: ${conv.wrap_up_reason}` : conv.close_reason ? ` (${conv.close_reason.replace("_", " ")})` : ""}` }} />
      )}
    </div>
  );
}

function at(it: Item): string {
  return it.kind === "msg" ? it.m.created_at : it.s.at;
}

function merge(prev: Message[], page: Message[]): Message[] {
  const byId = new Map(prev.map((m) => [m.id, m]));
  for (const m of page) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}

const STATUS_TEXT: Record<string, string> = {
  queued: "Queued",
  sending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
  undelivered: "Not delivered",
  failed: "Failed",
};

function sameRun(a: Message, b: Message): boolean {
  return (
    a.direction === b.direction &&
    a.author_id === b.author_id &&
    a.kind === b.kind &&
    a.status === b.status &&
    Date.parse(b.created_at) - Date.parse(a.created_at) < 5 * 60_000
  );
}

function Bubble({ m, names, meId, compact }: { m: Message; names: (id: string | null) => string; meId: string; compact: boolean }) {
  const note = m.direction === "internal";
  const auto = m.kind === "auto_response" || m.kind === "help";
  const side = m.direction === "inbound" ? "in" : "out";
  const author =
    m.direction === "inbound" ? "" : note || m.author_id ? (m.author_id === meId ? "You" : m.author_name || names(m.author_id)) : auto ? "Auto-response" : "textdesk";
  const failed = m.status === "failed" || m.status === "undelivered";
  const label = note ? "Internal note" : m.kind === "scheduled" ? "Scheduled" : m.kind === "closing" ? "Closing message" : "";
  return (
    <article class={`msg ${side}${note ? " note" : ""}${auto ? " auto" : ""}${failed ? " failed" : ""}`} aria-label={note ? "Internal note" : side === "in" ? "Customer message" : "Sent message"}>
      <div class="bubble">
        {label && <div class="msg-label" title={note ? "Only your team sees notes; they are never sent to the customer." : undefined}>{label}{note ? " · not sent" : ""}</div>}
        {m.body && <p class="msg-body">{m.body}</p>}
        {m.media.length > 0 && (
          // Links, not <img>: the media live on Twilio's host, which the console's CSP
          // (img-src 'self') does not load; the browser opens them in a new tab.
          <ul class="media">
            {m.media.map((x, i) => (
              <li key={i}>
                <a href={x.url} target="_blank" rel="noreferrer noopener">
                  {x.content_type.startsWith("image/") ? "Image" : "Attachment"} {i + 1}
                  <span class="muted small"> ({x.content_type || "file"})</span>
                </a>
              </li>
            ))}
          </ul>
        )}
        {m.num_media > m.media.length && <p class="muted small">{m.num_media - m.media.length} attachment(s) not available</p>}
      </div>
      <div class={`msg-meta small muted${compact ? " sr-only" : ""}`}>
        {author && <span>{author}</span>}
        <time dateTime={m.created_at} title={fullTime(m.created_at)}>{shortTime(m.created_at)}</time>
        {m.direction === "outbound" && (
          <span class={`status ${m.status}`} title={m.delivered_at ? `Delivered ${fullTime(m.delivered_at)}` : undefined}>
            {STATUS_TEXT[m.status] ?? m.status}
          </span>
        )}
        {m.segments > 1 && <span>{m.segments} segments</span>}
      </div>
      {failed && (
        <p class="msg-error small" role="note">
          {m.error_message || "The carrier did not deliver this message."}
          {m.error_code && !(m.error_message ?? "").includes(String(m.error_code)) ? ` (error ${m.error_code})` : ""}
        </p>
      )}
    </article>
  );
}

function SysRow({ s }: { s: SystemLine }) {
  return (
    <div class="sys" role="note">
      <span>{s.text.charAt(0).toUpperCase() + s.text.slice(1)}</span>
      {s.at && <time class="muted" dateTime={s.at}> · {shortTime(s.at)}</time>}
    </div>
  );
}
