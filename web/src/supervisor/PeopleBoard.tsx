// The people board (GET /v1/teams/{id}/members): who is Available, Away, in RONA
// (let an offer expire) or offline, and how loaded each agent is. Presence
// follows `presence_changed` events; loads are re-read every 30 s and after
// inbox changes.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Member, PresenceState, Subscribe } from './types';
import { errorText, http, since } from '../contact/common';
import { ApiError } from '../api';
import { invalidate } from '../lib/cache';

const STATE_WORDS: Record<PresenceState, string> = {
  available: 'Available',
  away: 'Away',
  rona: 'RONA',
  offline: 'Offline',
};
const STATE_HELP: Record<PresenceState, string> = {
  available: 'receives offers',
  away: 'receives no offers',
  rona: 'let an offer expire; receives no offers until they return to Available',
  offline: 'signed out or never set a presence',
};
const ORDER: Record<string, number> = { rona: 0, available: 1, away: 2, offline: 3 };

function sinceOf(m: Member): string | null | undefined {
  return m.presence.since ?? m.presence.changed_at;
}

export function PeopleBoard({ teamId, subscribe, canSetRoles = false }: { teamId: string; subscribe?: Subscribe; canSetRoles?: boolean }) {
  const [members, setMembers] = useState<Member[] | null>(null);
  const [error, setError] = useState('');
  const [announce, setAnnounce] = useState('');
  const [, setTick] = useState(0);
  const [roleBusy, setRoleBusy] = useState('');

  // Admins make a member the team's supervisor or an agent (PUT /v1/teams/{id}/members/{user_id}).
  const setRole = async (m: Member, role: string) => {
    setRoleBusy(m.id);
    setError('');
    try {
      await http.put(`/v1/teams/${teamId}/members/${m.id}`, { role });
      setMembers((ms) => (ms ?? []).map((x) => (x.id === m.id ? { ...x, role } : x)));
      invalidate(`members:${teamId}`);
      setAnnounce(`${m.name} is now ${role === 'supervisor' ? 'a supervisor' : 'an agent'} of this team.`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setRoleBusy('');
    }
  };
  const reload = useRef<() => void>(() => {});

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      http
        .get<{ members: Member[] }>(`/v1/teams/${teamId}/members`)
        .then((r) => {
          if (!live) return;
          setMembers(r.members);
          setError('');
        })
        .catch((e) => {
          if (!live) return;
          setError(
            e instanceof ApiError && e.status === 404 && e.message.toLowerCase().includes('endpoint')
              ? 'This server does not list team members yet (GET /v1/teams/{id}/members, issue 11).'
              : errorText(e),
          );
        });
    // Coalesce bursts of events into one read.
    reload.current = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void load();
      }, 1000);
    };
    setMembers(null);
    void load();
    const every = setInterval(load, 30000);
    const clock = setInterval(() => setTick((t) => t + 1), 15000);
    return () => {
      live = false;
      clearInterval(every);
      clearInterval(clock);
      if (timer) clearTimeout(timer);
    };
  }, [teamId]);

  useEffect(() => {
    if (!subscribe) return;
    return subscribe((ev) => {
      if (ev.kind === 'presence_changed') {
        const d = ev.data as { user_id?: string; state?: PresenceState } | undefined;
        if (!d?.user_id || !d.state) return;
        setMembers((ms) => {
          if (!ms) return ms;
          const m = ms.find((x) => x.id === d.user_id);
          if (!m) return ms;
          setAnnounce(`${m.name} is now ${STATE_WORDS[d.state!] ?? d.state}.`);
          return ms.map((x) => (x.id === d.user_id ? { ...x, presence: { ...x.presence, state: d.state!, since: ev.created_at ?? new Date().toISOString() } } : x));
        });
      } else if (!ev.team_id || ev.team_id === teamId) {
        if (['inbox_counts_changed', 'assigned', 'unassigned', 'status_changed', 'offer_taken', 'conversation_new'].includes(ev.kind)) reload.current();
      }
    });
  }, [subscribe, teamId]);

  if (error && !members)
    return (
      <section class="sv-card" aria-labelledby="sv-people-h">
        <h2 id="sv-people-h" class="sv-h2">
          People
        </h2>
        <p class="ct-error" role="alert">
          {error}
        </p>
      </section>
    );
  if (!members)
    return (
      <section class="sv-card" aria-busy="true">
        <p class="ct-muted">Loading people…</p>
      </section>
    );

  const sorted = [...members].sort((a, b) => (ORDER[a.presence.state] ?? 9) - (ORDER[b.presence.state] ?? 9) || a.name.localeCompare(b.name));
  const count = (s: PresenceState) => members.filter((m) => m.presence.state === s).length;
  const open = members.reduce((n, m) => n + m.open_conversations, 0);
  const cap = members.filter((m) => m.presence.state === 'available').reduce((n, m) => n + m.capacity, 0);

  return (
    <section class="sv-card" aria-labelledby="sv-people-h">
      <h2 id="sv-people-h" class="sv-h2">
        People
      </h2>
      <ul class="sv-summary" aria-label="Presence summary">
        {(['available', 'away', 'rona', 'offline'] as PresenceState[]).map((s) => (
          <li key={s} class={`sv-summary-item sv-p-${s}`}>
            <span class="sv-summary-n">{count(s)}</span> {STATE_WORDS[s]}
          </li>
        ))}
        <li class="sv-summary-item">
          <span class="sv-summary-n">{open}</span> open conversations{cap ? ` · ${cap} slots among available agents` : ''}
        </li>
      </ul>
      {count('rona') > 0 && (
        <p class="sv-rona-note">
          In RONA (let an offer expire): {members.filter((m) => m.presence.state === 'rona').map((m) => m.name).join(', ')}. They get no offers until they
          choose Available again.
        </p>
      )}
      <table class="sv-table">
        <caption class="sr-only">Team members, their presence and load</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Presence</th>
            <th scope="col">Load</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((m) => {
            const pct = m.capacity > 0 ? Math.min(100, Math.round((m.open_conversations / m.capacity) * 100)) : 0;
            const st = m.presence.state;
            const s = since(sinceOf(m));
            return (
              <tr key={m.id} class={st === 'rona' ? 'sv-row-rona' : undefined}>
                <th scope="row">
                  <span class="sv-name">{m.name}</span>
                  <span class="sv-sub">{m.email}</span>
                </th>
                <td>
                  {canSetRoles ? (
                    <select
                      value={m.role}
                      disabled={roleBusy === m.id}
                      aria-label={`Team role of ${m.name}`}
                      onChange={(e) => void setRole(m, e.currentTarget.value)}
                    >
                      <option value="agent">Agent</option>
                      <option value="supervisor">Supervisor</option>
                    </select>
                  ) : m.role === 'supervisor' ? (
                    'Supervisor'
                  ) : m.role === 'agent' ? (
                    'Agent'
                  ) : (
                    m.role
                  )}
                </td>
                <td>
                  <span class={`sv-presence sv-p-${st}`} title={STATE_HELP[st]}>
                    <span class="sv-dot" aria-hidden="true" />
                    {STATE_WORDS[st] ?? st}
                  </span>
                  {s && <span class="sv-sub"> for {s}</span>}
                </td>
                <td>
                  <span class="sv-load">
                    <span
                      class={`sv-meter${m.open_conversations >= m.capacity ? ' sv-meter-full' : ''}`}
                      role="meter"
                      aria-valuemin={0}
                      aria-valuemax={m.capacity}
                      aria-valuenow={Math.min(m.open_conversations, m.capacity)}
                      aria-label={`Load of ${m.name}`}
                      aria-valuetext={`${m.open_conversations} of ${m.capacity}`}
                    >
                      <span class="sv-meter-fill" style={{ width: `${pct}%` }} />
                    </span>
                    <span>
                      {m.open_conversations}/{m.capacity}
                    </span>
                  </span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p class="sr-only" role="status" aria-live="polite">
        {announce}
      </p>
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
