// Manual log entry on a contact (POST /v1/contacts/{id}/log): a call, an email,
// a meeting that happened outside textdesk.
import { useState } from 'preact/hooks';
import type { LogEntry, LogKind, MeLike } from './types';
import { errorText, http } from './common';
import { TeamField, defaultTeam, useTeams } from './teams';

export function LogForm({ me, teamId, contactId, onLogged }: { me: MeLike; teamId?: string; contactId: string; onLogged: (e: LogEntry) => void }) {
  const teams = useTeams(me);
  const [team, setTeam] = useState('');
  const [kind, setKind] = useState<LogKind>('call');
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const teamValue = team || defaultTeam(teams, teamId);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (!body.trim()) {
      setError('Write what happened.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const entry = await http.post<LogEntry>(`/v1/contacts/${contactId}/log`, { body: body.trim(), kind, team_id: teamValue || undefined });
      setBody('');
      onLogged(entry);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="ct-form ct-card" onSubmit={submit} aria-label="Log an entry">
      <TeamField teams={teams} value={teamValue} onChange={setTeam} />
      <label class="ct-field">
        <span>Kind</span>
        <select value={kind} onChange={(e) => setKind(e.currentTarget.value as LogKind)}>
          <option value="call">Call</option>
          <option value="email">Email</option>
          <option value="meeting">Meeting</option>
          <option value="note">Note</option>
          <option value="other">Other</option>
        </select>
      </label>
      <label class="ct-field">
        <span>What happened</span>
        <textarea rows={3} maxLength={1000} value={body} onInput={(e) => setBody(e.currentTarget.value)} required />
        <small class="ct-hint">{body.length}/1000 · shown in the contact’s history, never sent</small>
      </label>
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="btn primary" disabled={busy}>
        {busy ? 'Saving…' : 'Add to history'}
      </button>
    </form>
  );
}
