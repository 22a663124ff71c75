// Extension point (web/README.md): the contact panel beside a conversation (and on
// /contacts/:id), and the New text page (/new). Loaded lazily by the shell.
import { useState } from 'preact/hooks';
import { useStore } from '../lib/store';
import { me as meStore } from '../session';
import { ContactPanel as Panel } from './ContactPanel';
import { NewTextForm } from './NewTextForm';
import { HandoffForm } from './HandoffForm';

export function ContactPanel(props: { contactId: string; conversationId?: string; teamId?: string }) {
  const me = useStore(meStore);
  if (!me) return null;
  const panel = <Panel contactId={props.contactId} me={me} teamId={props.teamId} conversationId={props.conversationId} />;
  // Beside a conversation the panel fills its column; on /contacts/:id it is a page.
  return props.conversationId ? panel : <div class="page ct-page-contact">{panel}</div>;
}

/** New text to a number, or a chat handed off to text. */
export function NewTextPage() {
  const me = useStore(meStore);
  const [mode, setMode] = useState<'text' | 'handoff'>('text');
  if (!me) return null;
  return (
    <section class="page ct-page" aria-labelledby="ct-new-h">
      <h1 id="ct-new-h">New text</h1>
      <div class="ct-toolbar" role="group" aria-label="What to start">
        <button type="button" class="btn" aria-pressed={mode === 'text'} onClick={() => setMode('text')}>
          Text a number or contact
        </button>
        <button type="button" class="btn" aria-pressed={mode === 'handoff'} onClick={() => setMode('handoff')}>
          Move a web chat to text
        </button>
      </div>
      {mode === 'text' ? <NewTextForm me={me} /> : <HandoffForm me={me} />}
    </section>
  );
}
