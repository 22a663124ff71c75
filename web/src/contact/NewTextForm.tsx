// New text to a number or a contact (POST /v1/messages): the conversation opens in
// the sender's Mine inbox and waits for the customer's reply.
import { useRef, useState } from 'preact/hooks';
import type { MeLike, Message } from './types';
import { conversationHref, errorText, http, idempotencyKey, phoneProblem } from './common';
import { TeamField, defaultTeam, useTeams } from './teams';
import { Link } from '../lib/router';

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
  const toErr = touched && !fixedTo ? phoneProblem(to) : null;
  const bodyErr = touched && !body.trim() ? 'Write the message.' : null;

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setTouched(true);
    setError('');
    if ((!fixedTo && phoneProblem(to)) || !body.trim()) {
      focusInvalid();
      return;
    }
    setBusy(true);
    try {
      const m = await http.post<Message>('/v1/messages', { team_id: teamValue, to: (fixedTo ?? to).trim(), body }, { 'Idempotency-Key': key });
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
      {!fixedTo && (
        <label class="ct-field">
          <span>To</span>
          <input
            type="tel"
            inputMode="tel"
            autoComplete="off"
            value={to}
            onInput={(e) => setTo(e.currentTarget.value)}
            aria-invalid={toErr ? true : undefined}
            aria-describedby={toErr ? `${uid}-to-err` : `${uid}-to-hint`}
          />
          <small id={`${uid}-to-hint`} class="ct-hint">
            The customer’s mobile number, international or national.
          </small>
          {toErr && (
            <small id={`${uid}-to-err`} class="ct-field-error">
              {toErr}
            </small>
          )}
        </label>
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
          {body.length}/1000
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
