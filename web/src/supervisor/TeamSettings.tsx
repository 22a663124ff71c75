// Team settings (GET/PATCH /v1/teams/{id}): routing, timers, texts, business hours.
// Only the fields changed are sent.
import { useEffect, useState } from 'preact/hooks';
import type { BusinessHours, Day, Interval, Team } from './types';
import { errorText, fmtPhone, http } from '../contact/common';
import { formatIntervals, parseIntervals } from './logic';

const DAYS: Array<[Day, string]> = [
  ['mon', 'Monday'],
  ['tue', 'Tuesday'],
  ['wed', 'Wednesday'],
  ['thu', 'Thursday'],
  ['fri', 'Friday'],
  ['sat', 'Saturday'],
  ['sun', 'Sunday'],
];

interface Form {
  name: string;
  time_zone: string;
  default_region: string;
  capacity: string;
  offer_timeout_seconds: string;
  wrap_up_timeout_seconds: string;
  inactivity_days: string;
  auto_response_interval_hours: string;
  help_text: string;
  agents_can_toggle_chat: boolean;
  hours_on: boolean;
  hours: Record<Day, string>;
}

function toForm(t: Team): Form {
  const hours = {} as Record<Day, string>;
  for (const [d] of DAYS) hours[d] = formatIntervals(t.business_hours?.[d]);
  return {
    name: t.name,
    time_zone: t.time_zone,
    default_region: t.default_region,
    capacity: String(t.capacity),
    offer_timeout_seconds: String(t.offer_timeout_seconds),
    wrap_up_timeout_seconds: String(t.wrap_up_timeout_seconds),
    inactivity_days: String(t.inactivity_days),
    auto_response_interval_hours: String(t.auto_response_interval_hours),
    help_text: t.help_text,
    agents_can_toggle_chat: t.agents_can_toggle_chat ?? true,
    hours_on: t.business_hours !== null,
    hours,
  };
}

const NUMBERS: Array<[keyof Form & keyof Team, string, number, number, string]> = [
  ['capacity', 'Capacity per agent', 1, 100, 'Open conversations routing gives one agent.'],
  ['offer_timeout_seconds', 'Offer timeout (seconds)', 1, 3600, 'How long an agent has to accept before the offer moves on (RONA).'],
  ['wrap_up_timeout_seconds', 'Wrap-up timeout (seconds)', 1, 86400, 'After this, an unfinished wrap-up closes with the default reason.'],
  ['inactivity_days', 'Close after inactive days', 1, 365, 'Days without a message before a conversation closes.'],
  ['auto_response_interval_hours', 'Auto-response interval (hours)', 0, 8760, 'At most one auto-response per contact in this many hours.'],
];

export function TeamSettings({ team, onChange, canEdit }: { team: Team; onChange: (t: Team) => void; canEdit: boolean }) {
  const [form, setForm] = useState<Form>(() => toForm(team));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  useEffect(() => setForm(toForm(team)), [team]);

  const set = <K extends keyof Form>(k: K, v: Form[K]) => {
    setSaved('');
    setForm((f) => ({ ...f, [k]: v }));
  };

  const hourErrors: Partial<Record<Day, string>> = {};
  let hours: BusinessHours = null;
  if (form.hours_on) {
    hours = {};
    for (const [d] of DAYS) {
      const r = parseIntervals(form.hours[d]);
      if (typeof r === 'string') hourErrors[d] = r;
      else if (r.length) hours[d] = r;
    }
  }

  const save = async (ev: Event) => {
    ev.preventDefault();
    if (Object.keys(hourErrors).length) {
      setError('Fix the business hours first.');
      return;
    }
    const base = toForm(team);
    const patch: Record<string, unknown> = {};
    for (const k of ['name', 'time_zone', 'help_text'] as const) if (form[k] !== base[k]) patch[k] = form[k].trim();
    if (form.default_region.toUpperCase() !== base.default_region) patch.default_region = form.default_region.toUpperCase();
    for (const [k] of NUMBERS) {
      if (form[k] !== base[k]) {
        const n = Number(form[k]);
        if (!Number.isInteger(n)) {
          setError(`${k.replace(/_/g, ' ')} must be a whole number.`);
          return;
        }
        patch[k] = n;
      }
    }
    if (form.agents_can_toggle_chat !== base.agents_can_toggle_chat) patch.agents_can_toggle_chat = form.agents_can_toggle_chat;
    if (JSON.stringify(hours) !== JSON.stringify(normalize(team.business_hours))) patch.business_hours = hours;
    if (!Object.keys(patch).length) {
      setSaved('Nothing changed.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const t = await http.patch<Team>(`/v1/teams/${team.id}`, patch);
      onChange(t);
      setSaved('Settings saved.');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="sv-card ct-form sv-settings" onSubmit={save} aria-labelledby="sv-settings-h">
      <h2 id="sv-settings-h" class="sv-h2">
        Team settings
      </h2>
      {!canEdit && <p class="ct-muted">Only admins change these settings; you can read them.</p>}
      <fieldset class="sv-fieldset" disabled={!canEdit || busy}>
        <legend>Team</legend>
        <label class="ct-field">
          <span>Name</span>
          <input type="text" value={form.name} maxLength={100} onInput={(e) => set('name', e.currentTarget.value)} />
        </label>
        <p class="ct-hint">Numbers: {team.numbers.length ? team.numbers.map(fmtPhone).join(', ') : 'none yet (an admin adds them)'}</p>
        <label class="ct-field">
          <span>Time zone</span>
          <input
            type="text"
            list="sv-tz-list"
            value={form.time_zone}
            placeholder="Europe/Paris"
            autoComplete="off"
            onInput={(e) => set('time_zone', e.currentTarget.value)}
            aria-describedby="sv-tz-hint"
          />
          <datalist id="sv-tz-list">
            {zones().map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          <small id="sv-tz-hint" class="ct-hint">
            An IANA zone; business hours, metrics days and scheduled times are read in it.
          </small>
        </label>
        <label class="ct-field">
          <span>Region of national numbers</span>
          <input type="text" value={form.default_region} maxLength={2} pattern="[A-Za-z]{2}" onInput={(e) => set('default_region', e.currentTarget.value)} aria-describedby="sv-region-hint" />
          <small id="sv-region-hint" class="ct-hint">
            Two letters (US, GB, FR): a number written without +country is read in this country.
          </small>
        </label>
      </fieldset>
      <fieldset class="sv-fieldset" disabled={!canEdit || busy}>
        <legend>Routing and timers</legend>
        {NUMBERS.map(([k, label, min, max, hint]) => (
          <label class="ct-field" key={k}>
            <span>{label}</span>
            <input type="number" min={min} max={max} step={1} value={form[k] as string} onInput={(e) => set(k, e.currentTarget.value)} aria-describedby={`sv-${k}-hint`} />
            <small id={`sv-${k}-hint`} class="ct-hint">
              {hint}
            </small>
          </label>
        ))}
        <label class="ct-check">
          <input type="checkbox" checked={form.agents_can_toggle_chat} onChange={(e) => set('agents_can_toggle_chat', e.currentTarget.checked)} />
          <span>Agents may switch chat on and off</span>
        </label>
      </fieldset>
      <fieldset class="sv-fieldset" disabled={!canEdit || busy}>
        <legend>Business hours</legend>
        <label class="ct-check">
          <input type="checkbox" checked={form.hours_on} onChange={(e) => set('hours_on', e.currentTarget.checked)} />
          <span>Open only during business hours (otherwise only the chat switch decides)</span>
        </label>
        {form.hours_on && (
          <div class="sv-hours">
            <p class="ct-hint">Times in {form.time_zone || 'the team’s time zone'}, like 09:00-12:00, 13:00-17:00. Leave a day empty to close it.</p>
            {DAYS.map(([d, label]) => (
              <label class="ct-field sv-hours-day" key={d}>
                <span>{label}</span>
                <input
                  type="text"
                  value={form.hours[d]}
                  placeholder="closed"
                  onInput={(e) => {
                    const v = e.currentTarget.value;
                    setSaved('');
                    setForm((f) => ({ ...f, hours: { ...f.hours, [d]: v } }));
                  }}
                  aria-invalid={hourErrors[d] ? true : undefined}
                  aria-describedby={hourErrors[d] ? `sv-h-${d}-err` : undefined}
                />
                {hourErrors[d] && (
                  <small id={`sv-h-${d}-err`} class="ct-field-error">
                    {hourErrors[d]}
                  </small>
                )}
              </label>
            ))}
          </div>
        )}
      </fieldset>
      <fieldset class="sv-fieldset" disabled={!canEdit || busy}>
        <legend>Texts</legend>
        <label class="ct-field">
          <span>HELP answer</span>
          <textarea rows={2} maxLength={1000} value={form.help_text} onInput={(e) => set('help_text', e.currentTarget.value)} aria-describedby="sv-help-hint" />
          <small id="sv-help-hint" class="ct-hint">
            Sent when a customer texts HELP or INFO; empty for the default.
          </small>
        </label>
      </fieldset>
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
      {canEdit && (
        <div class="ct-row">
          <button type="submit" class="btn primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save settings'}
          </button>
          <button type="button" class="btn" onClick={() => setForm(toForm(team))}>
            Reset
          </button>
          <span class="ct-ok" role="status">
            {saved}
          </span>
        </div>
      )}
    </form>
  );
}

function normalize(h: BusinessHours): BusinessHours {
  if (h === null) return null;
  const out: Partial<Record<Day, Interval[]>> = {};
  for (const [d] of DAYS) if (h[d]?.length) out[d] = h[d];
  return out;
}

let zoneList: string[] | null = null;
/** The IANA zones the browser knows, for the time-zone field's suggestions. */
function zones(): string[] {
  if (!zoneList) {
    const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
    try {
      zoneList = intl.supportedValuesOf ? ['UTC', ...intl.supportedValuesOf('timeZone')] : ['UTC'];
    } catch {
      zoneList = ['UTC'];
    }
  }
  return zoneList;
}
