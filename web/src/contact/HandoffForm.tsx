// Chat-to-text handoff (POST /v1/chat-handoffs): the customer agreed in a web
// chat to be texted at a mobile number; the consent is recorded with who took it
// and when, and the agent sends the first text.
import { useRef, useState } from 'preact/hooks';
import type { ChatHandoffWithContact, MeLike } from './types';
import { contactHref, errorText, fmtPhone, http, idempotencyKey, phoneProblem } from './common';
import { TeamField, defaultTeam, useTeams } from './teams';
import { NewTextForm } from './NewTextForm';
import { Link } from '../lib/router';

export interface HandoffFormProps {
  me: MeLike;
  teamId?: string;
  phone?: string;
  name?: string;
  onDone?: (h: ChatHandoffWithContact) => void;
}

let seq = 0;

export function HandoffForm({ me, teamId, phone: phone0 = '', name: name0 = '', onDone }: HandoffFormProps) {
  const teams = useTeams(me);
  const [uid] = useState(() => `ho${++seq}`);
  const [team, setTeam] = useState('');
  const [phone, setPhone] = useState(phone0);
  const [name, setName] = useState(name0);
  const [chatRef, setChatRef] = useState('');
  const [transcript, setTranscript] = useState('');
  const [consent, setConsent] = useState(false);
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [key, setKey] = useState(idempotencyKey);
  const [done, setDone] = useState<ChatHandoffWithContact | null>(null);
  const teamValue = team || defaultTeam(teams, teamId);
  const form = useRef<HTMLFormElement>(null);
  const focusInvalid = () => requestAnimationFrame(() => form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());

  const phoneErr = touched ? phoneProblem(phone) : null;
  const nameErr = touched && !name.trim() ? 'Enter the name the customer gave in the chat.' : null;
  const refErr = touched && !chatRef.trim() ? 'Enter the chat’s id from the chat system.' : null;
  const consentErr = touched && !consent ? 'The customer must agree in the chat to receive texts before you hand off.' : null;

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setTouched(true);
    setError('');
    if (phoneProblem(phone) || !name.trim() || !chatRef.trim() || !consent) {
      focusInvalid();
      return;
    }
    setBusy(true);
    try {
      const h = await http.post<ChatHandoffWithContact>(
        '/v1/chat-handoffs',
        { team_id: teamValue, phone: phone.trim(), consent: true, name: name.trim(), chat_ref: chatRef.trim(), transcript: transcript || undefined },
        { 'Idempotency-Key': key },
      );
      setDone(h);
      setKey(idempotencyKey());
      onDone?.(h);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    return (
      <div class="ct-card">
        <p class="ct-ok" role="status">
          Handoff recorded: consent to text {fmtPhone(done.contact.phone)} is in{' '}
          <Link href={contactHref(done.contact.id)}>{done.contact.name || 'the contact'}’s history</Link>. The text conversation starts
          with your first message:
        </p>
        <NewTextForm me={me} teamId={done.team_id} to={done.contact.phone} />
        <button
          type="button"
          class="btn"
          onClick={() => {
            setDone(null);
            setChatRef('');
            setTranscript('');
            setConsent(false);
            setTouched(false);
          }}
        >
          Another handoff
        </button>
      </div>
    );
  }

  const inv = (err: string | null) => (err ? { 'aria-invalid': true as const } : {});
  return (
    <form ref={form} class="ct-form ct-card" onSubmit={submit} aria-label="Chat to text handoff" noValidate>
      <p class="ct-hint">Move a web chat to text messages. Ask the customer in the chat first: texts need their agreement.</p>
      <TeamField teams={teams} value={teamValue} onChange={setTeam} />
      <label class="ct-field">
        <span>Mobile number</span>
        <input
          type="tel"
          inputMode="tel"
          autoComplete="off"
          value={phone}
          onInput={(e) => setPhone(e.currentTarget.value)}
          onBlur={() => phone && setTouched(true)}
          aria-describedby={`${uid}-phone-hint${phoneErr ? ` ${uid}-phone-err` : ''}`}
          {...inv(phoneErr)}
        />
        <small id={`${uid}-phone-hint`} class="ct-hint">
          International (+44 7700 900123) or national in the team’s country. It must be able to receive texts (a mobile).
        </small>
        {phoneErr && (
          <small id={`${uid}-phone-err`} class="ct-field-error">
            {phoneErr}
          </small>
        )}
      </label>
      <label class="ct-field">
        <span>Customer’s name</span>
        <input type="text" maxLength={200} value={name} onInput={(e) => setName(e.currentTarget.value)} aria-describedby={nameErr ? `${uid}-name-err` : undefined} {...inv(nameErr)} />
        {nameErr && (
          <small id={`${uid}-name-err`} class="ct-field-error">
            {nameErr}
          </small>
        )}
      </label>
      <label class="ct-field">
        <span>Chat reference</span>
        <input type="text" maxLength={200} value={chatRef} onInput={(e) => setChatRef(e.currentTarget.value)} aria-describedby={refErr ? `${uid}-ref-err` : undefined} {...inv(refErr)} />
        {refErr && (
          <small id={`${uid}-ref-err`} class="ct-field-error">
            {refErr}
          </small>
        )}
      </label>
      <label class="ct-field">
        <span>Chat transcript (optional)</span>
        <textarea rows={4} maxLength={50000} value={transcript} onInput={(e) => setTranscript(e.currentTarget.value)} />
      </label>
      <label class="ct-check">
        <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.currentTarget.checked)} aria-describedby={consentErr ? `${uid}-consent-err` : undefined} {...inv(consentErr)} />
        <span>The customer agreed in the chat to receive text messages at this number</span>
      </label>
      {consentErr && (
        <small id={`${uid}-consent-err`} class="ct-field-error">
          {consentErr}
        </small>
      )}
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="btn primary" disabled={busy}>
        {busy ? 'Recording…' : 'Hand off to text'}
      </button>
    </form>
  );
}
