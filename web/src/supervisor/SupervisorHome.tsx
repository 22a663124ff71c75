// The supervisor's screens for one team, loaded lazily (index.tsx imports this
// module on demand): chat switch and auto-response, people board, metrics, team
// settings, templates, wrap-up reasons, and for admins the users.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Subscribe, Team } from './types';
import type { MeLike, TeamRef } from '../contact/types';
import { errorText, http } from '../contact/common';
import { invalidate } from '../lib/cache';
import { useStore } from '../lib/store';
import { counts } from '../inbox/counts';
import { ChatSwitch } from './ChatSwitch';
import { PeopleBoard } from './PeopleBoard';
import { Metrics } from './Metrics';
import { TeamSettings } from './TeamSettings';
import { Templates } from './Templates';
import { WrapUpReasons } from './WrapUpReasons';
import { Users } from './Users';

export const SECTIONS = [
  ['overview', 'Overview'],
  ['metrics', 'Metrics'],
  ['settings', 'Settings'],
  ['templates', 'Templates'],
  ['reasons', 'Wrap-up reasons'],
  ['users', 'Users'],
] as const;
export type Section = (typeof SECTIONS)[number][0];

export interface SupervisorHomeProps {
  me: MeLike;
  teams: TeamRef[];
  teamId: string;
  section?: string;
  subscribe?: Subscribe;
  /** Go to another team or section (the shell's router). */
  go: (teamId: string, section: Section) => void;
}

export default function SupervisorHome({ me, teams, teamId, section, subscribe, go }: SupervisorHomeProps) {
  const admin = me.role === 'admin';
  const supervised = teams.filter((t) => admin || t.role === 'supervisor');
  const sections = SECTIONS.filter(([s]) => s !== 'users' || admin);
  const current: Section = (sections.find(([s]) => s === section)?.[0] ?? 'overview') as Section;
  const [team, setTeam] = useState<Team | null>(null);
  const [error, setError] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  // A changed team: show it, and make the rest of the console (compose, wrap-up) re-read it.
  const changed = (t: Team) => {
    setTeam(t);
    invalidate(`team:${t.id}`);
  };

  useEffect(() => {
    let live = true;
    setTeam(null);
    setError('');
    http
      .get<Team>(`/v1/teams/${teamId}`)
      .then((t) => live && setTeam(t))
      .catch((e) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [teamId]);

  const allowed = admin || supervised.some((t) => t.id === teamId);
  if (!allowed) {
    return (
      <section class="page sv-page">
        <h1 class="sv-title">Supervisor</h1>
        <p class="ct-error" role="alert">
          You are not a supervisor of this team. Supervisors and admins see its people, metrics and settings.
        </p>
      </section>
    );
  }

  const onTabKey = (e: KeyboardEvent, i: number) => {
    const n = sections.length;
    let j = -1;
    if (e.key === 'ArrowRight') j = (i + 1) % n;
    else if (e.key === 'ArrowLeft') j = (i - 1 + n) % n;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = n - 1;
    if (j < 0) return;
    e.preventDefault();
    go(teamId, sections[j]![0]);
    requestAnimationFrame(() => document.getElementById(`sv-tab-${sections[j]![0]}`)?.focus());
  };

  return (
    <section class="page sv-page" aria-labelledby="sv-title">
      <div class="sv-top">
        <h1 id="sv-title" class="sv-title" ref={heading} tabIndex={-1}>
          Supervisor{team ? `: ${team.name}` : ''}
        </h1>
        {supervised.length > 1 && (
          <label class="ct-field ct-field-inline">
            <span>Team</span>
            <select value={teamId} onChange={(e) => go(e.currentTarget.value, current)}>
              {supervised.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div class="sv-tabs" role="tablist" aria-label="Supervisor sections">
        {sections.map(([s, label], i) => (
          <button
            key={s}
            id={`sv-tab-${s}`}
            type="button"
            role="tab"
            class="sv-tab"
            aria-selected={s === current}
            aria-controls="sv-panel"
            tabIndex={s === current ? 0 : -1}
            onClick={() => go(teamId, s)}
            onKeyDown={(e) => onTabKey(e, i)}
          >
            {label}
          </button>
        ))}
      </div>
      <div id="sv-panel" role="tabpanel" aria-labelledby={`sv-tab-${current}`} class="sv-panel">
        {error && (
          <p class="ct-error" role="alert">
            {error}
          </p>
        )}
        {!team && !error && <p class="ct-muted">Loading team…</p>}
        {team && current === 'overview' && (
          <div class="sv-grid">
            <div>
              <ChatSwitch team={team} onChange={changed} />
              <Queue teamId={team.id} />
            </div>
            <PeopleBoard teamId={team.id} subscribe={subscribe} canSetRoles={admin} />
          </div>
        )}
        {team && current === 'metrics' && <Metrics team={team} />}
        {team && current === 'settings' && <TeamSettings team={team} onChange={changed} canEdit={admin} />}
        {team && current === 'templates' && <Templates teamId={team.id} canEdit />}
        {team && current === 'reasons' && <WrapUpReasons teamId={team.id} canEdit={admin} onTeam={changed} />}
        {current === 'users' && admin && <Users teams={teams} meId={me.id} />}
      </div>
    </section>
  );
}

/** The team's queues right now (the sidebar's counts, kept live by the shell). */
function Queue({ teamId }: { teamId: string }) {
  const all = useStore(counts);
  const c = all[teamId];
  if (!c) return null;
  const items: Array<[string, number, string]> = [
    ['New', c.new, 'waiting for an agent'],
    ['Missed', c.missed, 'came while chat was off'],
    ['In progress', c.team, 'active or in wrap-up'],
  ];
  return (
    <section class="sv-card" aria-labelledby="sv-queue-h">
      <h2 id="sv-queue-h" class="sv-h2">
        Queue now
      </h2>
      <dl class="sv-queue">
        {items.map(([label, n, hint]) => (
          <div key={label} class={`sv-queue-item${n > 0 && label !== 'In progress' ? ' sv-queue-hot' : ''}`}>
            <dt>{label}</dt>
            <dd>
              {n}
              <small>{hint}</small>
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
