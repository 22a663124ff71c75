// The team's chat switch (PUT /v1/teams/{id}/chat): on, new conversations are
// offered to available agents; off, they go to Missed and get the auto-response.
// Green bubble on, gray bubble off, as the seeds show it.
import { useEffect, useState } from 'preact/hooks';
import type { Team } from './types';
import { errorText, http } from '../contact/common';

let seq = 0;

export interface ChatSwitchProps {
  team: Team;
  onChange: (t: Team) => void;
  /** Whether the caller may edit the auto-response (supervisors and admins). */
  canEditAutoResponse?: boolean;
  /** Whether the caller may flip the switch (false for agents when the team does not allow it). */
  canToggle?: boolean;
}

export function ChatSwitch({ team, onChange, canEditAutoResponse = true, canToggle = true }: ChatSwitchProps) {
  const [uid] = useState(() => `chat${++seq}`);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [text, setText] = useState(team.auto_response);
  const [saved, setSaved] = useState('');

  useEffect(() => setText(team.auto_response), [team.id, team.auto_response]);

  const put = async (on: boolean, autoResponse?: string) => {
    setBusy(true);
    setError('');
    setSaved('');
    try {
      const t = await http.put<Team>(`/v1/teams/${team.id}/chat`, autoResponse === undefined ? { on } : { on, auto_response: autoResponse });
      onChange(t);
      if (autoResponse !== undefined) setSaved('Auto-response saved.');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const dirty = text !== team.auto_response;
  return (
    <section class="sv-card sv-chat" aria-labelledby={`${uid}-h`}>
      <h2 id={`${uid}-h`} class="sv-h2">
        Chat for {team.name}
      </h2>
      <div class="sv-switch-row">
        <span class={`sv-bubble ${team.chat_on ? 'sv-bubble-on' : 'sv-bubble-off'}`} aria-hidden="true" />
        <span id={`${uid}-label`} class="sv-switch-label">
          Chat
        </span>
        <button
          type="button"
          role="switch"
          class="sv-switch"
          aria-checked={team.chat_on}
          aria-labelledby={`${uid}-label`}
          aria-describedby={`${uid}-state`}
          disabled={busy || !canToggle}
          onClick={() => put(!team.chat_on)}
        >
          <span class="sv-switch-knob" aria-hidden="true" />
        </button>
        <span id={`${uid}-state`} class="sv-switch-state" aria-live="polite">
          {team.chat_on
            ? 'On: new conversations are offered to available agents.'
            : 'Off: new conversations go to Missed and the customer gets the auto-response.'}
        </span>
      </div>
      {!canToggle && <p class="ct-muted">Only supervisors can switch this team’s chat.</p>}
      {team.business_hours && (
        <p class="ct-hint">Business hours are set: outside them the team is closed whatever the switch says.</p>
      )}
      <form
        class="ct-form"
        onSubmit={(e) => {
          e.preventDefault();
          void put(team.chat_on, text);
        }}
      >
        <label class="ct-field">
          <span>Auto-response</span>
          <textarea
            rows={3}
            maxLength={1000}
            value={text}
            readOnly={!canEditAutoResponse}
            onInput={(e) => setText(e.currentTarget.value)}
            aria-describedby={`${uid}-ar-hint`}
          />
          <small id={`${uid}-ar-hint`} class="ct-hint">
            {text.length}/1000 · sent to customers who write while chat is off (at most once per contact every{' '}
            {team.auto_response_interval_hours} h).
          </small>
        </label>
        {canEditAutoResponse && (
          <div class="ct-row">
            <button type="submit" class="btn primary" disabled={busy || !dirty}>
              Save auto-response
            </button>
            {dirty && (
              <button type="button" class="btn" onClick={() => setText(team.auto_response)}>
                Undo changes
              </button>
            )}
            <span class="ct-ok" role="status">
              {saved}
            </span>
          </div>
        )}
      </form>
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
