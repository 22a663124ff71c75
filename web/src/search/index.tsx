// Extension point (web/README.md): the search page at /search?q=&by=.
import { useStore } from '../lib/store';
import { me as meStore } from '../session';
import { SearchPage as Page } from './SearchPage';

export function SearchPage(props: { query?: string }) {
  const me = useStore(meStore);
  if (!me) return null;
  return <Page me={me} query={props.query ?? ''} />;
}
