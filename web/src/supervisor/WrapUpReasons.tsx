// Wrap-up reasons (/v1/teams/{id}/wrap-up-reasons) and the default one a timed-out
// wrap-up gets (PATCH /v1/teams/{id} default_wrap_up_reason).
import { useEffect, useState } from 'preact/hooks';
import type { Team, WrapUpReasons as Reasons } from './types';
import { errorText, http } from '../contact/common';
import { invalidate } from '../lib/cache';

export function WrapUpReasons({ teamId, canEdit, onTeam }: { teamId: string; canEdit: boolean; onTeam?: (t: Team) => void }) {
  const [data, setData] = useState<Reasons | null>(null);
  const [add, setAdd] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');

  useEffect(() => {
    setData(null);
    http
      .get<Reasons>(`/v1/teams/${teamId}/wrap-up-reasons`)
      .then(setData)
      .catch((e) => setError(errorText(e)));
  }, [teamId]);

  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setError('');
    setStatus('');
    try {
      await f();
      invalidate(`team:${teamId}`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const addReason = (ev: Event) => {
    ev.preventDefault();
    const r = add.trim();
    if (!r) {
      setError('Type the reason to add.');
      return;
    }
    void run(async () => {
      setData(await http.post<Reasons>(`/v1/teams/${teamId}/wrap-up-reasons`, { reason: r }));
      setAdd('');
      setStatus(`Added “${r}”.`);
    });
  };
  const remove = (r: string) =>
    run(async () => {
      await http.del(`/v1/teams/${teamId}/wrap-up-reasons/${encodeURIComponent(r)}`);
      setData((d) => (d ? { ...d, wrap_up_reasons: d.wrap_up_reasons.filter((x) => x !== r) } : d));
      setStatus(`Removed “${r}”. Conversations wrapped up with it keep it.`);
    });
  const setDefault = (r: string) =>
    run(async () => {
      const t = await http.patch<Team>(`/v1/teams/${teamId}`, { default_wrap_up_reason: r });
      setData((d) => (d ? { ...d, default_wrap_up_reason: t.default_wrap_up_reason } : d));
      onTeam?.(t);
      setStatus(`“${r}” is now the default.`);
    });

  return (
    <section class="sv-card" aria-labelledby="sv-wr-h">
      <h2 id="sv-wr-h" class="sv-h2">
        Wrap-up reasons
      </h2>
      {!canEdit && <p class="ct-muted">Only admins add or remove reasons; you can read them.</p>}
      <p class="ct-hint">Agents choose one when they end a conversation. A wrap-up nobody finishes in time gets the default, which metrics count as not resolved.</p>
      {data === null ? (
        <p class="ct-muted">Loading…</p>
      ) : (
        <>
          {data.wrap_up_reasons.length === 0 ? (
            <p class="ct-muted">No reasons yet: agents can only use the default “{data.default_wrap_up_reason}”.</p>
          ) : (
            <ul class="sv-list">
              {data.wrap_up_reasons.map((r) => (
                <li key={r} class="sv-list-item">
                  <span class="sv-list-main">
                    {r}
                    {r === data.default_wrap_up_reason && <span class="sv-tag"> default</span>}
                  </span>
                  {canEdit && (
                    <span class="ct-row">
                      {r !== data.default_wrap_up_reason && (
                        <button type="button" class="btn small" disabled={busy} onClick={() => setDefault(r)} aria-label={`Make “${r}” the default`}>
                          Make default
                        </button>
                      )}
                      <button type="button" class="btn small danger" disabled={busy} onClick={() => remove(r)} aria-label={`Remove “${r}”`}>
                        Remove
                      </button>
                    </span>
                  )}
                </li>
              ))}
            </ul>
          )}
          {!data.wrap_up_reasons.includes(data.default_wrap_up_reason) && (
            <p class="ct-hint">
              Default for timed-out wrap-ups: <strong>{data.default_wrap_up_reason}</strong>
            </p>
          )}
          {canEdit && (
            <form class="ct-row sv-add" onSubmit={addReason}>
              <label class="ct-field ct-field-inline">
                <span>New reason</span>
                <input type="text" maxLength={100} value={add} onInput={(e) => setAdd(e.currentTarget.value)} />
              </label>
              <button type="submit" class="btn primary" disabled={busy}>
                Add reason
              </button>
            </form>
          )}
        </>
      )}
      <p class="ct-ok" role="status">
        {status}
      </p>
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
