// The contact panel beside a conversation (or on its own page): who the customer
// is, whether they can be texted and why, their history, a log entry, a chat
// handoff and a new text.
import { useEffect, useState } from 'preact/hooks';
import type { ContactDetail, MeLike } from './types';
import { errorText, fmtDateTime, fmtPhone, http } from './common';
import { History } from './History';
import { LogForm } from './LogForm';
import { HandoffForm } from './HandoffForm';
import { NewTextForm } from './NewTextForm';

export interface ContactPanelProps {
  contactId: string;
  me: MeLike;
  /** Team of the conversation the panel sits beside (default team of the forms). */
  teamId?: string;
  /** The conversation the panel sits beside, marked in the history. */
  conversationId?: string;
  /** Called after the contact changed (name, ref, consent) so the thread header can follow. */
  onChanged?: (c: ContactDetail) => void;
}

type Tool = 'none' | 'log' | 'handoff' | 'text';

/** Window event sent after the panel changed a contact (detail: the contact afterwards). */
export const CONTACT_CHANGED = 'textdesk:contact-changed';

export function ContactPanel({ contactId, me, teamId, conversationId, onChanged }: ContactPanelProps) {
  const [contact, setContact] = useState<ContactDetail | null>(null);
  const [loadError, setLoadError] = useState('');
  const [tool, setTool] = useState<Tool>('none');
  const [historyKey, setHistoryKey] = useState(0);
  const [notice, setNotice] = useState('');

  useEffect(() => {
    let live = true;
    setContact(null);
    setLoadError('');
    http
      .get<ContactDetail>(`/v1/contacts/${encodeURIComponent(contactId)}`)
      .then((c) => live && setContact(c))
      .catch((e) => live && setLoadError(errorText(e)));
    return () => {
      live = false;
    };
  }, [contactId]);

  if (loadError) {
    return (
      <div class="ct-panel">
        <p class="ct-error" role="alert">
          {loadError}
        </p>
      </div>
    );
  }
  if (!contact) {
    return (
      <div class="ct-panel" aria-busy="true">
        <p class="ct-muted">Loading contact…</p>
      </div>
    );
  }

  const changed = (c: ContactDetail) => {
    setContact(c);
    onChanged?.(c);
    // Other screens showing this contact (the conversation header, lists) may listen.
    window.dispatchEvent(new CustomEvent<ContactDetail>(CONTACT_CHANGED, { detail: c }));
  };
  const reachable = !contact.opted_out && !contact.blocked;

  return (
    <div class="ct-panel">
      <header class="ct-head">
        <h2 class="ct-title">{contact.name || fmtPhone(contact.phone)}</h2>
        <p class="ct-sub" hidden={!contact.name && !contact.ref}>
          {contact.name && <span>{fmtPhone(contact.phone)}</span>}
          {contact.ref && <span class="ct-ref">Ref {contact.ref}</span>}
        </p>
      </header>

      <Details contact={contact} onSaved={changed} />
      <Consent contact={contact} me={me} onSaved={changed} />

      <section class="ct-section" aria-labelledby="ct-tools-h">
        <h3 id="ct-tools-h" class="ct-h3">
          Actions
        </h3>
        <div class="ct-toolbar" role="group" aria-label="Contact actions">
          <button type="button" class="btn" aria-pressed={tool === 'text'} disabled={!reachable} onClick={() => setTool(tool === 'text' ? 'none' : 'text')}>
            New text
          </button>
          <button type="button" class="btn" aria-pressed={tool === 'log'} onClick={() => {
              setNotice('');
              setTool(tool === 'log' ? 'none' : 'log');
            }}>
            Log an entry
          </button>
          <button type="button" class="btn" aria-pressed={tool === 'handoff'} disabled={!reachable} onClick={() => setTool(tool === 'handoff' ? 'none' : 'handoff')}>
            Chat to text
          </button>
        </div>
        {!reachable && <p class="ct-muted">Texting is off for this contact (see Consent above).</p>}
        <p class="ct-ok" role="status">
          {notice}
        </p>
        {tool === 'text' && <NewTextForm me={me} teamId={teamId} to={contact.phone} onDone={() => setHistoryKey((k) => k + 1)} />}
        {tool === 'log' && (
          <LogForm
            me={me}
            teamId={teamId}
            contactId={contact.id}
            onLogged={() => {
              setHistoryKey((k) => k + 1);
              setTool('none');
              setNotice('Added to the history.');
            }}
          />
        )}
        {tool === 'handoff' && (
          <HandoffForm
            me={me}
            teamId={teamId}
            phone={contact.phone}
            name={contact.name}
            onDone={() => setHistoryKey((k) => k + 1)}
          />
        )}
      </section>

      <History key={`${contact.id}-${historyKey}`} contactId={contact.id} currentId={conversationId} />
    </div>
  );
}

function Details({ contact, onSaved }: { contact: ContactDetail; onSaved: (c: ContactDetail) => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(contact.name);
  const [ref, setRef] = useState(contact.ref);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');

  useEffect(() => {
    setName(contact.name);
    setRef(contact.ref);
  }, [contact.id, contact.name, contact.ref]);

  const save = async (ev: Event) => {
    ev.preventDefault();
    const body: Record<string, string> = {};
    if (name.trim() !== contact.name) body.name = name.trim();
    if (ref.trim() !== contact.ref) body.ref = ref.trim();
    if (Object.keys(body).length === 0) {
      setEditing(false);
      return;
    }
    setBusy(true);
    setError('');
    try {
      const c = await http.patch<ContactDetail>(`/v1/contacts/${contact.id}`, body);
      onSaved(c);
      setEditing(false);
      setSaved('Saved.');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="ct-section" aria-labelledby="ct-details-h">
      <h3 id="ct-details-h" class="ct-h3">
        Details
      </h3>
      {!editing ? (
        <>
          <dl class="ct-dl">
            <dt>Name</dt>
            <dd>{contact.name || <span class="ct-muted">No name</span>}</dd>
            <dt>Ref</dt>
            <dd>{contact.ref || <span class="ct-muted">None</span>}</dd>
            <dt>Number</dt>
            <dd>{fmtPhone(contact.phone)}</dd>
            <dt>Known since</dt>
            <dd>{fmtDateTime(contact.created_at)}</dd>
          </dl>
          <button
            type="button"
            class="btn"
            onClick={() => {
              setSaved('');
              setEditing(true);
            }}
          >
            Edit name and ref
          </button>
          <span class="ct-ok" role="status">
            {saved}
          </span>
        </>
      ) : (
        <form class="ct-form" onSubmit={save}>
          <label class="ct-field">
            <span>Name</span>
            <input type="text" value={name} maxLength={200} autoComplete="off" onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label class="ct-field">
            <span>Ref</span>
            <input type="text" value={ref} maxLength={100} autoComplete="off" onInput={(e) => setRef(e.currentTarget.value)} />
            <small class="ct-hint">Your organisation’s own reference (CRM or account id).</small>
          </label>
          {error && (
            <p class="ct-error" role="alert">
              {error}
            </p>
          )}
          <div class="ct-row">
            <button type="submit" class="btn primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save'}
            </button>
            <button
              type="button"
              class="btn"
              onClick={() => {
                setName(contact.name);
                setRef(contact.ref);
                setError('');
                setEditing(false);
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function Consent({ contact, me, onSaved }: { contact: ContactDetail; me: MeLike; onSaved: (c: ContactDetail) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [confirm, setConfirm] = useState<'' | 'optout' | 'block'>('');
  const admin = me.role === 'admin';

  const patch = async (body: Record<string, boolean>) => {
    setBusy(true);
    setError('');
    try {
      onSaved(await http.patch<ContactDetail>(`/v1/contacts/${contact.id}`, body));
      setConfirm('');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const when = contact.consent_changed_at ? fmtDateTime(contact.consent_changed_at) : '';
  return (
    <section class="ct-section" aria-labelledby="ct-consent-h">
      <h3 id="ct-consent-h" class="ct-h3">
        Consent
      </h3>
      <ul class="ct-states">
        <li class={contact.opted_out ? 'ct-state ct-state-bad' : 'ct-state ct-state-good'}>
          <strong>{contact.opted_out ? 'Opted out' : 'Not opted out'}</strong>
          {contact.opted_out ? (
            <span>
              {' '}
              — nothing is sent to this number: replies, scheduled and new texts all fail.
              {contact.consent_reason && ` Reason: ${contact.consent_reason}`}
              {when && ` (${when}).`} Only the customer can opt back in, by texting START
              {admin ? '; as an admin you may record an opt-in they gave you another way.' : '.'}
            </span>
          ) : (
            <span>
              {' '}
              — this number may be texted.
              {contact.consent_reason && when && ` Last change: ${contact.consent_reason} (${when}).`}
            </span>
          )}
        </li>
        <li class={contact.blocked ? 'ct-state ct-state-bad' : 'ct-state ct-state-good'}>
          <strong>{contact.blocked ? 'Blocked' : 'Not blocked'}</strong>
          {contact.blocked ? (
            <span> — nothing you write is sent to this number until someone unblocks it. Their texts still reach the team.</span>
          ) : (
            <span> — texts to this number are sent.</span>
          )}
        </li>
      </ul>
      <div class="ct-row">
        {!contact.opted_out && confirm !== 'optout' && (
          <button type="button" class="btn" disabled={busy} onClick={() => setConfirm('optout')}>
            Record opt-out…
          </button>
        )}
        {contact.opted_out && admin && (
          <button type="button" class="btn" disabled={busy} onClick={() => patch({ opted_out: false })}>
            Opt back in
          </button>
        )}
        {!contact.blocked && confirm !== 'block' && (
          <button type="button" class="btn" disabled={busy} onClick={() => setConfirm('block')}>
            Block…
          </button>
        )}
        {contact.blocked && (
          <button type="button" class="btn" disabled={busy} onClick={() => patch({ blocked: false })}>
            Unblock
          </button>
        )}
      </div>
      {confirm && (
        <div class="ct-confirm" role="group" aria-label={confirm === 'optout' ? 'Confirm opt-out' : 'Confirm block'}>
          <p>
            {confirm === 'optout'
              ? 'Record that this customer does not want texts? Their pending scheduled messages are cancelled and only they can opt back in (by texting START).'
              : 'Block this number? Nothing will be sent to it until it is unblocked.'}
          </p>
          <div class="ct-row">
            <button
              type="button"
              class="btn danger solid"
              disabled={busy}
              onClick={() => patch(confirm === 'optout' ? { opted_out: true } : { blocked: true })}
            >
              {confirm === 'optout' ? 'Record opt-out' : 'Block'}
            </button>
            <button type="button" class="btn" onClick={() => setConfirm('')}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
