// A contact's history (GET /v1/contacts/{id}/history): text conversations, chat
// handoffs and log entries, newest first, with a date filter and a total.
//
// The API pages newest first without a date range, so the filter reads pages
// until it passes the start date (at most MAX_ITEMS items) and counts what falls
// inside the range.
import { useEffect, useState } from 'preact/hooks';
import type { HistoryItem } from './types';
import { MAX_ITEMS, bounds, readPages } from './historyPages';
import { STATUS_WORDS, conversationHref, errorText, fmtDateTime, fmtDay } from './common';
import { Link } from '../lib/router';
import { useMembers } from '../lib/cache';


type Kind = 'all' | 'conversation' | 'chat_handoff' | 'log';

const KIND_LABEL: Record<HistoryItem['type'], string> = {
  conversation: 'Text conversation',
  chat_handoff: 'Chat handed off to text',
  log: 'Log entry',
};

const LOG_LABEL: Record<string, string> = {
  note: 'Note',
  call: 'Call',
  email: 'Email',
  meeting: 'Meeting',
  other: 'Other',
};

export function History({ contactId, currentId }: { contactId: string; currentId?: string | undefined }) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [kind, setKind] = useState<Kind>('all');
  const [items, setItems] = useState<HistoryItem[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [complete, setComplete] = useState(true);
  const [loading, setLoading] = useState(true);
  const [more, setMore] = useState(false);
  const [error, setError] = useState('');

  useEffect(() => {
    let live = true;
    const [fromT, toT] = bounds(from, to);
    setLoading(true);
    setError('');
    // With a start date, read the whole range so the total is exact; else begin with 50.
    readPages(contactId, undefined, fromT, toT, from ? MAX_ITEMS : 50)
      .then((b) => {
        if (!live) return;
        setItems(b.items);
        setCursor(b.cursor);
        setComplete(b.done);
      })
      .catch((e) => live && setError(errorText(e)))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [contactId, from, to]);

  const showOlder = async () => {
    setMore(true);
    setError('');
    try {
      const [fromT, toT] = bounds(from, to);
      const b = await readPages(contactId, cursor, fromT, toT, 50);
      setItems((prev) => [...prev, ...b.items]);
      setCursor(b.cursor);
      setComplete(b.done);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setMore(false);
    }
  };

  const shown = kind === 'all' ? items : items.filter((i) => i.type === kind);
  const counts = {
    conversation: items.filter((i) => i.type === 'conversation').length,
    chat_handoff: items.filter((i) => i.type === 'chat_handoff').length,
    log: items.filter((i) => i.type === 'log').length,
  };
  const rangeWords = from && to ? `from ${fmtDay(from)} to ${fmtDay(to)}` : from ? `since ${fmtDay(from)}` : to ? `until ${fmtDay(to)}` : 'in all';

  return (
    <section class="ct-section" aria-labelledby="ct-history-h">
      <h3 id="ct-history-h" class="ct-h3">
        History
      </h3>
      <form class="ct-filter" onSubmit={(e) => e.preventDefault()} aria-label="Filter history">
        <label class="ct-field ct-field-inline">
          <span>From</span>
          <input type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label class="ct-field ct-field-inline">
          <span>To</span>
          <input type="date" value={to} min={from || undefined} onChange={(e) => setTo(e.currentTarget.value)} />
        </label>
        <label class="ct-field ct-field-inline">
          <span>Show</span>
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
            <option value="all">Everything</option>
            <option value="conversation">Texts</option>
            <option value="chat_handoff">Chat handoffs</option>
            <option value="log">Log entries</option>
          </select>
        </label>
        {(from || to) && (
          <button
            type="button"
            class="btn small"
            onClick={() => {
              setFrom('');
              setTo('');
            }}
          >
            Clear dates
          </button>
        )}
      </form>
      <p class="ct-total" role="status" aria-live="polite">
        {loading
          ? 'Loading history…'
          : `${
              complete
                ? `${items.length} ${items.length === 1 ? 'item' : 'items'} ${rangeWords}`
                : `The newest ${items.length} items${rangeWords === 'in all' ? '' : ` ${rangeWords}`} (more are older)`
            }: ${counts.conversation} text ${counts.conversation === 1 ? 'conversation' : 'conversations'}, ${counts.chat_handoff} chat ${
              counts.chat_handoff === 1 ? 'handoff' : 'handoffs'
            }, ${counts.log} log ${counts.log === 1 ? 'entry' : 'entries'}.`}
      </p>
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
      {!loading && shown.length === 0 && <p class="ct-muted">Nothing here{from || to ? ' in these dates' : ''}.</p>}
      <ol class="ct-history" aria-label="History items">
        {shown.map((it) => (
          <li key={`${it.type}-${it.id}`} class={`ct-item ct-item-${it.type}`}>
            <HistoryRow item={it} current={it.type === 'conversation' && it.id === currentId} />
          </li>
        ))}
      </ol>
      {!loading && !complete && (
        <button type="button" class="btn" disabled={more} onClick={showOlder}>
          {more ? 'Loading…' : 'Show older'}
        </button>
      )}
    </section>
  );
}

/** A team member's name, from the shared (cached) members list. */
function useName(teamId: string | undefined, userId: string | null | undefined): string {
  const members = useMembers(userId ? teamId : null);
  return (userId && members?.find((m) => m.id === userId)?.name) || '';
}

function HistoryRow({ item, current }: { item: HistoryItem; current: boolean }) {
  const team = item.log?.team_id ?? item.chat_handoff?.team_id;
  const who = useName(team, item.log?.author_id ?? item.chat_handoff?.consent_by);
  const when = <time dateTime={item.at}>{fmtDateTime(item.at)}</time>;
  if (item.type === 'conversation' && item.conversation) {
    const c = item.conversation;
    return (
      <>
        <div class="ct-item-head">
          <span class="ct-badge ct-badge-text">Text</span>
          {current ? (
            <strong aria-current="true">This conversation</strong>
          ) : (
            <Link href={conversationHref(c.id)}>{KIND_LABEL.conversation}</Link>
          )}
          {when}
        </div>
        <div class="ct-item-body">
          {STATUS_WORDS[c.status] ?? c.status}
          {c.status === 'closed' && c.wrap_up_reason ? ` · ${c.wrap_up_reason}` : ''}
          {c.closed_at ? ` · closed ${fmtDateTime(c.closed_at)}` : ''}
        </div>
      </>
    );
  }
  if (item.type === 'chat_handoff' && item.chat_handoff) {
    const h = item.chat_handoff;
    return (
      <>
        <div class="ct-item-head">
          <span class="ct-badge ct-badge-chat">Chat</span>
          <span>{KIND_LABEL.chat_handoff}</span>
          {when}
        </div>
        <div class="ct-item-body">
          {h.name && <>As “{h.name}” · </>}Chat {h.chat_ref} · consent recorded {fmtDateTime(h.consent_at)}
          {who && ` by ${who}`}
        </div>
        {h.transcript && (
          <details class="ct-details">
            <summary>Chat transcript</summary>
            <pre class="ct-pre">{h.transcript}</pre>
          </details>
        )}
      </>
    );
  }
  if (item.type === 'log' && item.log) {
    const l = item.log;
    return (
      <>
        <div class="ct-item-head">
          <span class="ct-badge ct-badge-log">{LOG_LABEL[l.kind] ?? l.kind}</span>
          <span>{KIND_LABEL.log}</span>
          {when}
        </div>
        <div class="ct-item-body ct-prewrap">{l.body}</div>
        {who && <div class="ct-item-by">by {who}</div>}
      </>
    );
  }
  return (
    <div class="ct-item-head">
      <span>{item.type}</span>
      {when}
    </div>
  );
}
