// New text to a number or a contact (POST /v1/messages): the conversation opens in
// the sender's Mine inbox and waits for the customer's reply.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Contact, MeLike, Message } from './types';
import { conversationHref, errorText, http, idempotencyKey, phoneProblem } from './common';
import { TeamField, defaultTeam, useTeams } from './teams';
import { Link } from '../lib/router';
import { segments } from '../lib/sms';
import { fmtPhone, qs } from './format';
import { guessField } from '../search/query';

export interface NewTextFormProps {
  me: MeLike;
  teamId?: string;
  /** A known contact's number: the field is then fixed. */
  to?: string;
  onDone?: (m: Message) => void;
}

let seq = 0;

export function NewTextForm({ me, teamId, to: fixedTo, onDone }: NewTextFormProps) {
  const teams = useTeams(me);
  const [uid] = useState(() => `nt${++seq}`);
  const [team, setTeam] = useState('');
  const [to, setTo] = useState(fixedTo ?? '');
  const [body, setBody] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [key, setKey] = useState(idempotencyKey);
  const [sent, setSent] = useState<Message | null>(null);
  const teamValue = team || defaultTeam(teams, teamId);
  const form = useRef<HTMLFormElement>(null);
  const focusInvalid = () => requestAnimationFrame(() => form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
  const [picked, setPicked] = useState<Contact | null>(null);
  const [matches, setMatches] = useState<Contact[]>([]);
  const looksLikeNumber = guessField(to) === 'phone';
  const toProblem = (): string | null =>
    fixedTo || picked ? null : to.trim() && !looksLikeNumber ? 'Choose a contact from the list below, or type a mobile number.' : phoneProblem(to);
  const toErr = touched ? toProblem() : null;
  const info = segments(body);

  // Contacts matching what is typed (a name, a ref or the start of a number).
  useEffect(() => {
    if (fixedTo || picked || to.trim().length < 3) {
      setMatches([]);
      return;
    }
    let live = true;
    const t = setTimeout(() => {
      http
        .get<{ contacts: Contact[] }>(`/v1/contacts${qs({ q: to.trim(), limit: 6 })}`)
        .then((r) => live && setMatches(r.contacts))
        .catch(() => live && setMatches([]));
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [to, picked, fixedTo]);
  const bodyErr = touched && !body.trim() ? 'Write the message.' : null;

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setTouched(true);
    setError('');
    if (toProblem() || !body.trim()) {
      focusInvalid();
      return;
    }
    setBusy(true);
    try {
      const m = await http.post<Message>('/v1/messages', { team_id: teamValue, to: (fixedTo ?? picked?.phone ?? to).trim(), body }, { 'Idempotency-Key': key });
      setSent(m);
      setBody('');
      setTouched(false);
      setKey(idempotencyKey());
      onDone?.(m);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form ref={form} class="ct-form ct-card" onSubmit={submit} aria-label="New text" noValidate>
      <p class="ct-hint" id={`${uid}-explain`}>
        The text is sent from the team’s number. The conversation opens in your <strong>Mine</strong> inbox and waits for the customer: it
        shows as open once they reply.
      </p>
      <TeamField teams={teams} value={teamValue} onChange={setTeam} label="From team" />
      {!fixedTo && picked && (
        <div class="ct-field">
          <span id={`${uid}-to-l`}>To</span>
          <div class="ct-row ct-picked" role="group" aria-labelledby={`${uid}-to-l`}>
            <span>
              <strong>{picked.name || fmtPhone(picked.phone)}</strong> {picked.name && fmtPhone(picked.phone)}
              {picked.ref && <span class="ct-muted"> · Ref {picked.ref}</span>}
            </span>
            <button
              type="button"
              class="btn small"
              onClick={() => {
                setPicked(null);
                requestAnimationFrame(() => form.current?.querySelector<HTMLInputElement>(`#${uid}-to`)?.focus());
              }}
            >
              Change
            </button>
          </div>
        </div>
      )}
      {!fixedTo && !picked && (
        <div class="ct-field">
          <label for={`${uid}-to`}>
            <span>To</span>
          </label>
          <input
            id={`${uid}-to`}
            type="text"
            inputMode={looksLikeNumber ? 'tel' : 'text'}
            autoComplete="off"
            value={to}
            onInput={(e) => setTo(e.currentTarget.value)}
            aria-invalid={toErr ? true : undefined}
            aria-describedby={toErr ? `${uid}-to-err` : `${uid}-to-hint`}
          />
          <small id={`${uid}-to-hint`} class="ct-hint">
            A mobile number (international or national), or a contact’s name or ref.
          </small>
          {toErr && (
            <small id={`${uid}-to-err`} class="ct-field-error">
              {toErr}
            </small>
          )}
          {matches.length > 0 && (
            <ul class="ct-matches" aria-label="Matching contacts">
              {matches.map((c) => {
                const off = c.opted_out ? 'opted out' : c.blocked ? 'blocked' : '';
                return (
                  <li key={c.id}>
                    <button
                      type="button"
                      class="ct-match"
                      disabled={!!off}
                      onClick={() => {
                        setPicked(c);
                        setMatches([]);
                      }}
                    >
                      <strong>{c.name || fmtPhone(c.phone)}</strong> {c.name && fmtPhone(c.phone)}
                      {c.ref && ` · Ref ${c.ref}`}
                      {off && ` · ${off}: cannot be texted`}
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
        </div>
      )}
      <label class="ct-field">
        <span>Text</span>
        <textarea
          rows={3}
          maxLength={1000}
          value={body}
          onInput={(e) => setBody(e.currentTarget.value)}
          aria-invalid={bodyErr ? true : undefined}
          aria-describedby={`${uid}-count${bodyErr ? ` ${uid}-body-err` : ''}`}
        />
        <small id={`${uid}-count`} class="ct-hint">
          {body.length}/1000 · {info.segments} SMS segment{info.segments === 1 ? '' : 's'} · {info.encoding}
        </small>
        {bodyErr && (
          <small id={`${uid}-body-err`} class="ct-field-error">
            {bodyErr}
          </small>
        )}
      </label>
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
      {sent && (
        <p class="ct-ok" role="status">
          Sent. <Link href={conversationHref(sent.conversation_id)}>Open the conversation</Link> — it is in Mine, waiting for the customer.
        </p>
      )}
      <button type="submit" class="btn primary" disabled={busy}>
        {busy ? 'Sending…' : 'Send text'}
      </button>
    </form>
  );
}
