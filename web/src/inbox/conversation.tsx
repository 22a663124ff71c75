// One open conversation: header, actions, thread, compose, and the contact panel.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { onEvent } from "../events";
import { useMembers, useTeam } from "../lib/cache";
import { lazy } from "../lib/lazy";
import { Link } from "../lib/router";
import { useStore } from "../lib/store";
import { duration, fullTime, parse } from "../lib/time";
import { me as meStore } from "../session";
import type { ConversationDetail, Me, Message } from "../types";
import { Actions } from "./actions";
import { Compose } from "./compose";
import { bumpLists, refreshCountsSoon } from "./counts";
import { assignees, customerName, formatPhone, nextActionLabel, STATUS_LABEL } from "./format";
import { useNow } from "./now";
import { systemLines } from "./system";
import { Thread } from "./thread";

const ContactPanel = lazy(() => import("../contact/index").then((m) => m.ContactPanel));

export function ConversationPane({ id }: { id: string }) {
  const me = useStore(meStore) as Me;
  const [conv, setConv] = useState<ConversationDetail | null>(null);
  const [error, setError] = useState("");
  const [reload, setReload] = useState(0);
  const [showContact, setShowContact] = useState(() => window.innerWidth > 1200);
  const team = useTeam(conv?.team_id);
  const members = useMembers(conv?.team_id);
  const lines = systemLines(id);
  const now = useNow(30_000);
  const lastRead = useRef("");

  async function load() {
    try {
      // Messages are paged by the thread; this is re-read on every event, so keep it light.
      const c = await api.get<ConversationDetail>(`/v1/conversations/${id}`, { messages: "none" });
      setConv(c);
      setError("");
    } catch (e) {
      setError(errorText(e));
    }
  }

  useEffect(() => {
    setConv(null);
    setError("");
    lastRead.current = "";
    void load();
  }, [id]);

  useEffect(
    () =>
      onEvent((e) => {
        if (e.conversation_id === id) void load();
      }),
    [id],
  );

  function changed() {
    void load();
    setReload((r) => r + 1);
    refreshCountsSoon();
    bumpLists();
  }

  // Mark read up to the newest message while the conversation is on screen.
  function markRead(m: Message | undefined) {
    if (!m || lastRead.current === m.id || document.visibilityState !== "visible") return;
    lastRead.current = m.id;
    api.post(`/v1/conversations/${id}/read`, { message_id: m.id }).then(() => {
      refreshCountsSoon();
      bumpLists();
    }, () => {});
  }
  const newest = useRef<Message | undefined>(undefined);
  useEffect(() => {
    const onVis = () => markRead(newest.current);
    document.addEventListener("visibilitychange", onVis);
    return () => document.removeEventListener("visibilitychange", onVis);
  }, [id]);

  if (error && !conv) {
    return (
      <section class="conv-pane empty-pane">
        <p class="error" role="alert">{error}</p>
      </section>
    );
  }
  if (!conv) return <section class="conv-pane empty-pane"><p class="muted" aria-busy="true">Loading conversation…</p></section>;

  const who = assignees(conv, me, members);
  const names = (uid: string | null) => (uid ? members?.find((m) => m.id === uid)?.name ?? "Agent" : "");
  const closed = conv.status === "closed";
  const onIt = who.some((p) => p.id === me.id);
  const disabled = closed
    ? "This conversation is closed. Unarchive it to reply."
    : conv.status === "new" || conv.status === "missed"
      ? undefined
      : undefined;

  return (
    <div class="conv-layout">
      <section class="conv-pane" aria-labelledby="conv-title">
        <header class="conv-head">
          <div class="conv-title-row">
            <h1 id="conv-title">{customerName(conv)}</h1>
            <span class="muted small">
              {conv.contact_name && <span>{formatPhone(conv.contact_phone)} · </span>}
              {conv.contact_ref && <span>Ref {conv.contact_ref} · </span>}
              <span>texted {team?.name ?? "the team"} ({formatPhone(conv.team_number)})</span>
            </span>
          </div>
          <p class="conv-tags small">
            <span class={`pill${conv.next_action === "agent" && !closed ? " agent" : ""}`}>{STATUS_LABEL[conv.status]}</span>
            {!closed && conv.status !== "wrap_up" && nextActionLabel(conv) && (
              <span class="muted">
                {nextActionLabel(conv)} · {duration(now - parse(conv.next_action_since))}
              </span>
            )}
            <span class="muted">{who.length ? `With ${who.map((p) => p.name).join(", ")}` : closed ? "" : "Unassigned"}</span>
            {conv.visible_to.length > 0 && (
              <span class="pill restricted" title="Only some people can see this conversation">
                Restricted to {conv.visible_to.map((u) => (u === me.id ? "you" : names(u))).join(", ")}
              </span>
            )}
            <button class="btn ghost small push" type="button" aria-expanded={showContact} aria-controls="contact-side" onClick={() => setShowContact(!showContact)}>
              {showContact ? "Hide contact" : "Show contact"}
            </button>
          </p>
          <Actions conv={conv} me={me} team={team} onChanged={changed} />
        </header>
        {error && <p class="error pad" role="alert">{error}</p>}
        <Thread
          conv={conv}
          meId={me.id}
          names={names}
          extra={lines}
          reloadKey={reload}
          onNewest={(m) => {
            newest.current = m;
            markRead(m);
          }}
        />
        {!closed && !onIt && me.role !== "admin" && conv.status !== "new" && conv.status !== "missed" && (
          <p class="muted small pad">You are not on this conversation; replying takes it only if it is unassigned.</p>
        )}
        {closed ? (
          <p class="closed-bar muted">
            Closed{conv.closed_at ? ` ${fullTime(conv.closed_at)}` : ""}. Unarchive it to reply; a new text from the customer opens a new conversation.
          </p>
        ) : (
          <Compose conv={conv} team={team} onSent={changed} disabled={disabled} />
        )}
      </section>
      {showContact && (
        <aside id="contact-side" class="contact-side" aria-label="Contact details">
          <ContactPanel contactId={conv.contact_id} conversationId={conv.id} teamId={conv.team_id} />
          <p class="pad small"><Link href={`/contacts/${conv.contact_id}`}>Open contact page</Link></p>
        </aside>
      )}
    </div>
  );
}
