// Reply templates (CRUD /v1/teams/{id}/templates): the compose box's picker
// offers them; {{name}} placeholders are filled in by the agent.
import { useEffect, useState } from 'preact/hooks';
import type { Template } from './types';
import { errorText, http } from '../contact/common';
import { invalidate } from '../lib/cache';
import { templateProblem } from './logic';
import { useConfirm } from './Confirm';
import { placeholders } from '../lib/template';

export function Templates({ teamId, canEdit }: { teamId: string; canEdit: boolean }) {
  const [list, setList] = useState<Template[] | null>(null);
  const [error, setError] = useState('');
  const [editing, setEditing] = useState<string | null>(null); // template id, or 'new'
  const [confirmEl, ask] = useConfirm();

  const load = () =>
    http
      .get<{ templates: Template[] }>(`/v1/teams/${teamId}/templates`)
      .then((r) => setList(r.templates))
      .catch((e) => setError(errorText(e)));
  useEffect(() => {
    setList(null);
    setEditing(null);
    void load();
  }, [teamId]);

  const remove = async (t: Template) => {
    if (!(await ask(`Delete “${t.name}”?`, 'Agents will no longer find it in the compose box. Messages already sent keep their text.', 'Delete template'))) return;
    setError('');
    try {
      await http.del(`/v1/teams/${teamId}/templates/${t.id}`);
      setList((l) => (l ?? []).filter((x) => x.id !== t.id));
      invalidate(`templates:${teamId}`);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section class="sv-card" aria-labelledby="sv-tpl-h">
      <div class="sv-card-head">
        <h2 id="sv-tpl-h" class="sv-h2">
          Templates
        </h2>
        {canEdit && editing !== 'new' && (
          <button type="button" class="btn primary" onClick={() => setEditing('new')}>
            New template
          </button>
        )}
      </div>
      {confirmEl}
      <p class="ct-hint">Agents pick these in the compose box. Write {'{{first_name}}'} for a part the agent fills in.</p>
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
      {editing === 'new' && (
        <TemplateForm
          teamId={teamId}
          onCancel={() => setEditing(null)}
          onSaved={(t) => {
            setList((l) => [...(l ?? []), t].sort((a, b) => a.name.localeCompare(b.name)));
            setEditing(null);
          }}
        />
      )}
      {list === null ? (
        <p class="ct-muted">Loading templates…</p>
      ) : list.length === 0 ? (
        <p class="ct-muted">No templates yet.</p>
      ) : (
        <ul class="sv-list">
          {list.map((t) =>
            editing === t.id ? (
              <li key={t.id} class="sv-list-item">
                <TemplateForm
                  teamId={teamId}
                  template={t}
                  onCancel={() => setEditing(null)}
                  onSaved={(n) => {
                    setList((l) => (l ?? []).map((x) => (x.id === n.id ? n : x)));
                    setEditing(null);
                  }}
                />
              </li>
            ) : (
              <li key={t.id} class="sv-list-item">
                <div class="sv-list-main">
                  <strong>{t.name}</strong>
                  <p class="ct-prewrap sv-tpl-body">{t.body}</p>
                  {t.variables.length > 0 && <p class="ct-hint">Fills in: {t.variables.join(', ')}</p>}
                </div>
                {canEdit && (
                  <div class="ct-row">
                    <button type="button" class="btn small" onClick={() => setEditing(t.id)} aria-label={`Edit ${t.name}`}>
                      Edit
                    </button>
                    <button type="button" class="btn small danger" onClick={() => remove(t)} aria-label={`Delete ${t.name}`}>
                      Delete
                    </button>
                  </div>
                )}
              </li>
            ),
          )}
        </ul>
      )}
    </section>
  );
}

function TemplateForm({ teamId, template, onSaved, onCancel }: { teamId: string; template?: Template; onSaved: (t: Template) => void; onCancel: () => void }) {
  const [name, setName] = useState(template?.name ?? '');
  const [body, setBody] = useState(template?.body ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const submit = async (ev: Event) => {
    ev.preventDefault();
    const p = templateProblem(name, body);
    if (p) {
      setError(p);
      return;
    }
    setBusy(true);
    setError('');
    try {
      let t: Template;
      if (template) {
        const patch: Record<string, string> = {};
        if (name.trim() !== template.name) patch.name = name.trim();
        if (body !== template.body) patch.body = body;
        t = Object.keys(patch).length ? await http.patch<Template>(`/v1/teams/${teamId}/templates/${template.id}`, patch) : template;
      } else {
        t = await http.post<Template>(`/v1/teams/${teamId}/templates`, { name: name.trim(), body });
      }
      invalidate(`templates:${teamId}`);
      onSaved(t);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="ct-form sv-tpl-form" onSubmit={submit} aria-label={template ? `Edit template ${template.name}` : 'New template'}>
      <label class="ct-field">
        <span>Template name</span>
        <input type="text" maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label class="ct-field">
        <span>Template text</span>
        <textarea rows={4} maxLength={1000} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
        <small class="ct-hint">
          {body.length}/1000
          {placeholders(body).length > 0 && ` · fills in: ${placeholders(body).join(', ')}`}
        </small>
      </label>
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
      <div class="ct-row">
        <button type="submit" class="btn primary" disabled={busy}>
          {busy ? 'Saving…' : template ? 'Save template' : 'Add template'}
        </button>
        <button type="button" class="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

