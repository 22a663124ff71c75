// Admin: users (GET /v1/users), invitations with a one-time set-password link
// (POST /v1/users), reset links, disabling a user and ending their sessions.
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { AdminUser } from './types';
import { useConfirm } from './Confirm';
import type { TeamRef } from '../contact/types';
import { errorText, fmtDateTime, http } from '../contact/common';

export function CopyLink({ label, url, expires }: { label: string; url: string; expires?: string | undefined }) {
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('Copied.');
    } catch {
      setCopied('Copy failed: select the link and copy it.');
    }
  };
  return (
    <div class="sv-link" role="group" aria-label={label}>
      <p>
        <strong>{label}</strong> — shown once; give it to the user over a safe channel.
        {expires && ` It works once, until ${fmtDateTime(expires)}.`}
      </p>
      <div class="ct-row">
        <input type="text" readOnly value={url} aria-label={`${label} URL`} onFocus={(e) => e.currentTarget.select()} class="sv-link-input" />
        <button type="button" class="btn" onClick={copy}>
          Copy link
        </button>
        <span role="status" class="ct-ok">
          {copied}
        </span>
      </div>
    </div>
  );
}

export function Users({ teams, meId }: { teams: TeamRef[]; meId: string }) {
  const [users, setUsers] = useState<AdminUser[] | null>(null);
  const [error, setError] = useState('');
  const [links, setLinks] = useState<Record<string, { url: string; expires?: string }>>({});
  const [busy, setBusy] = useState('');
  const [status, setStatus] = useState('');
  const [confirmEl, ask] = useConfirm();

  useEffect(() => {
    http
      .get<{ users: AdminUser[] }>('/v1/users')
      .then((r) => setUsers(r.users))
      .catch((e) => setError(errorText(e)));
  }, []);

  const act = async (id: string, f: () => Promise<void>) => {
    setBusy(id);
    setError('');
    setStatus('');
    try {
      await f();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy('');
    }
  };
  const reset = (u: AdminUser) =>
    act(u.id, async () => {
      const r = await http.post<{ set_password_url: string; expires_at?: string }>(`/v1/users/${u.id}/password-reset`);
      setLinks((l) => ({ ...l, [u.id]: { url: r.set_password_url, expires: r.expires_at } }));
    });
  const setDisabled = (u: AdminUser, disabled: boolean) =>
    act(u.id, async () => {
      if (disabled && !(await ask(`Disable ${u.name}?`, 'They are signed out everywhere, their API tokens stop working, and they can do nothing until enabled again.', 'Disable user'))) return;
      const n = await http.patch<AdminUser>(`/v1/users/${u.id}`, { disabled });
      setUsers((us) => (us ?? []).map((x) => (x.id === u.id ? { ...x, ...n, disabled } : x)));
      setStatus(`${u.name} is ${disabled ? 'disabled' : 'enabled'}.`);
    });
  const endSessions = (u: AdminUser) =>
    act(u.id, async () => {
      if (!(await ask(`End ${u.name}’s sessions?`, 'They are signed out of every browser and their API tokens are revoked. They can sign in again.', 'End sessions'))) return;
      await http.del(`/v1/users/${u.id}/sessions`);
      setStatus(`${u.name}’s sessions and API tokens are ended.`);
    });

  const teamName = (id: string) => teams.find((t) => t.id === id)?.name ?? 'a team';
  return (
    <section class="sv-card" aria-labelledby="sv-users-h">
      <h2 id="sv-users-h" class="sv-h2">
        Users
      </h2>
      {confirmEl}
      <Invite
        teams={teams}
        onCreated={(u) => {
          setUsers((us) => [...(us ?? []), u]);
          if (u.set_password_url) setLinks((l) => ({ ...l, [u.id]: { url: u.set_password_url!, expires: u.set_password_expires_at } }));
        }}
      />
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
      <p class="ct-ok" role="status">
        {status}
      </p>
      {users === null ? (
        !error && <p class="ct-muted">Loading users…</p>
      ) : (
        <table class="sv-table">
          <caption class="sr-only">Users</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Teams</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <Fragment key={u.id}>
                <tr class={u.disabled ? 'sv-row-disabled' : undefined}>
                  <th scope="row">
                    <span class="sv-name">{u.name}</span>
                    <span class="sv-sub">{u.email}</span>
                  </th>
                  <td>{u.role === 'admin' ? 'Admin' : 'Agent'}</td>
                  <td>{u.team_ids.map(teamName).join(', ') || '—'}</td>
                  <td>{u.disabled ? 'Disabled' : 'Active'}</td>
                  <td>
                    <div class="ct-row">
                      <button type="button" class="btn small" disabled={busy === u.id} onClick={() => reset(u)} aria-label={`Reset link for ${u.name}`}>
                        Reset link
                      </button>
                      {u.id !== meId &&
                        (u.disabled ? (
                          <button type="button" class="btn small" disabled={busy === u.id} onClick={() => setDisabled(u, false)} aria-label={`Enable ${u.name}`}>
                            Enable
                          </button>
                        ) : (
                          <button type="button" class="btn small danger" disabled={busy === u.id} onClick={() => setDisabled(u, true)} aria-label={`Disable ${u.name}`}>
                            Disable
                          </button>
                        ))}
                      {u.id !== meId && (
                        <button type="button" class="btn small" disabled={busy === u.id} onClick={() => endSessions(u)} aria-label={`End sessions of ${u.name}`}>
                          End sessions
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
                {links[u.id] && (
                  <tr>
                    <td colSpan={5}>
                      <CopyLink label={`Set-password link for ${u.name}`} url={links[u.id]!.url} expires={links[u.id]!.expires} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Invite({ teams, onCreated }: { teams: TeamRef[]; onCreated: (u: AdminUser) => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'agent' | 'admin'>('agent');
  const [teamIds, setTeamIds] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  if (!open)
    return (
      <button type="button" class="btn primary" onClick={() => setOpen(true)}>
        Invite a user
      </button>
    );

  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (!name.trim() || !email.trim()) {
      setError('Enter a name and an email.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const u = await http.post<AdminUser>('/v1/users', { name: name.trim(), email: email.trim(), role, team_ids: teamIds });
      onCreated(u);
      setName('');
      setEmail('');
      setTeamIds([]);
      setOpen(false);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="ct-form ct-card" onSubmit={submit} aria-label="Invite a user">
      <label class="ct-field">
        <span>Name</span>
        <input type="text" maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} autoComplete="off" />
      </label>
      <label class="ct-field">
        <span>Email</span>
        <input type="email" maxLength={254} value={email} onInput={(e) => setEmail(e.currentTarget.value)} autoComplete="off" />
      </label>
      <label class="ct-field">
        <span>Role</span>
        <select value={role} onChange={(e) => setRole(e.currentTarget.value as 'agent' | 'admin')}>
          <option value="agent">Agent</option>
          <option value="admin">Admin (every team, every setting)</option>
        </select>
      </label>
      <fieldset class="sv-fieldset">
        <legend>Teams</legend>
        {teams.map((t) => (
          <label class="ct-check" key={t.id}>
            <input
              type="checkbox"
              checked={teamIds.includes(t.id)}
              onChange={(e) => setTeamIds((ids) => (e.currentTarget.checked ? [...ids, t.id] : ids.filter((x) => x !== t.id)))}
            />
            <span>{t.name}</span>
          </label>
        ))}
      </fieldset>
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
      <div class="ct-row">
        <button type="submit" class="btn primary" disabled={busy}>
          {busy ? 'Inviting…' : 'Invite'}
        </button>
        <button type="button" class="btn" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
      <p class="ct-hint">The answer holds a one-time link for the user to set their password.</p>
    </form>
  );
}
