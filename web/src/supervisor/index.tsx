// Extension point (web/README.md): the supervisor's screens at
// /supervisor/:teamId[/:section], a lazily loaded chunk of their own.
import { useCallback } from 'preact/hooks';
import { onEvent } from '../events';
import { navigate } from '../lib/router';
import { useStore } from '../lib/store';
import { me as meStore, myTeams } from '../session';
import SupervisorHome, { type Section } from './SupervisorHome';
import type { Subscribe } from './types';

const subscribe: Subscribe = (fn) => onEvent(fn);

export function SupervisorPage(props: { teamId: string; section?: string }) {
  const me = useStore(meStore);
  const go = useCallback((teamId: string, section: Section) => {
    navigate(`/supervisor/${teamId}${section === 'overview' ? '' : `/${section}`}`);
  }, []);
  if (!me) return null;
  return <SupervisorHome me={me} teams={myTeams(me)} teamId={props.teamId} section={props.section} subscribe={subscribe} go={go} />;
}

export { ChatSwitch } from './ChatSwitch';
