// The caller's teams with names, and a team picker for the forms.
import { useEffect, useState } from 'preact/hooks';
import type { MeLike, TeamRef } from './types';
import { http } from './common';

const nameCache = new Map<string, string>();

/** me.teams when the API gives it (issue 11), else names read from GET /v1/teams/{id}. */
export function useTeams(me: MeLike): TeamRef[] {
  const initial: TeamRef[] =
    me.teams ?? me.team_ids.map((id) => ({ id, name: nameCache.get(id) ?? 'Team', role: me.role === 'admin' ? 'supervisor' : 'agent' }));
  const [teams, setTeams] = useState<TeamRef[]>(initial);
  useEffect(() => {
    if (me.teams) {
      setTeams(me.teams);
      return;
    }
    let live = true;
    Promise.all(
      me.team_ids.map(async (id) => {
        let name = nameCache.get(id);
        if (!name) {
          try {
            name = (await http.get<{ name: string }>(`/v1/teams/${id}`)).name;
            nameCache.set(id, name);
          } catch {
            name = 'Team';
          }
        }
        return { id, name, role: (me.role === 'admin' ? 'supervisor' : 'agent') as TeamRef['role'] };
      }),
    ).then((t) => live && setTeams(t));
    return () => {
      live = false;
    };
  }, [me]);
  return teams;
}

export function TeamField({
  teams,
  value,
  onChange,
  label = 'Team',
}: {
  teams: TeamRef[];
  value: string;
  onChange: (id: string) => void;
  label?: string;
}) {
  if (teams.length <= 1) return null;
  return (
    <label class="ct-field">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)} required>
        {teams.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The default team of a form: the given one if the caller is in it, else their first. */
export function defaultTeam(teams: TeamRef[], preferred?: string): string {
  if (preferred && teams.some((t) => t.id === preferred)) return preferred;
  return teams[0]?.id ?? '';
}
