// The metrics dashboard (GET /v1/teams/{id}/metrics): totals for the range, and
// charts of conversations per day, response times and resolution rate over it.
// The API answers one range at a time, so the trend charts ask once per day (or
// per week, for ranges over a month), a few requests at a time.
import { useEffect, useState } from 'preact/hooks';
import type { Metrics as M, Team } from './types';
import { errorText, fmtDuration, http, qs } from '../contact/common';
import { BarChart, LineChart, Ring, type Point } from './charts';
import { addDays, buckets, daysBetween, todayIn } from './logic';

const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const shortDay = (d: string) => dayFmt.format(new Date(`${d}T00:00:00Z`));
const pct = (v: number) => `${Math.round(v * 100)}%`;

async function pool<T, R>(items: T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!);
      }
    }),
  );
  return out;
}

type Preset = '7' | '30' | '90' | 'custom';

export function Metrics({ team }: { team: Team }) {
  const today = todayIn(team.time_zone);
  const [preset, setPreset] = useState<Preset>('7');
  const [from, setFrom] = useState(addDays(today, -6));
  const [to, setTo] = useState(today);
  const [main, setMain] = useState<M | null>(null);
  const [trend, setTrend] = useState<Array<{ range: [string, string]; m: M }> | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);

  const choose = (p: Preset) => {
    setPreset(p);
    if (p !== 'custom') {
      setFrom(addDays(today, -(Number(p) - 1)));
      setTo(today);
    }
  };

  useEffect(() => {
    let live = true;
    if (!from || !to || daysBetween(from, to) < 0) {
      setError('The start date must be on or before the end date.');
      return;
    }
    if (daysBetween(from, to) > 365) {
      setError('Choose at most 366 days.');
      return;
    }
    setError('');
    setLoading(true);
    const url = (a: string, b: string) => `/v1/teams/${team.id}/metrics${qs({ from: a, to: b })}`;
    (async () => {
      try {
        const m = await http.get<M>(url(from, to));
        if (!live) return;
        setMain(m);
        setTrend(null);
        const bs = buckets(from, to);
        const ms = await pool(bs, 4, ([a, b]) => http.get<M>(url(a, b)));
        if (live) setTrend(bs.map((range, i) => ({ range, m: ms[i]! })));
      } catch (e) {
        if (live) setError(errorText(e));
      } finally {
        if (live) setLoading(false);
      }
    })();
    return () => {
      live = false;
    };
  }, [team.id, from, to]);

  const weekly = daysBetween(from, to) + 1 > 31;
  const label = ([a, b]: [string, string]) => (a === b ? a : `${a} – ${b}`);
  const tp = (f: (m: M) => number | null): Point[] =>
    (trend ?? []).map(({ range, m }) => ({ label: label(range), short: shortDay(range[0]), value: f(m) }));

  return (
    <section class="sv-card sv-metrics" aria-labelledby="sv-metrics-h">
      <h2 id="sv-metrics-h" class="sv-h2">
        Metrics
      </h2>
      <form class="ct-row sv-range" onSubmit={(e) => e.preventDefault()} aria-label="Metrics range">
        <label class="ct-field ct-field-inline">
          <span>Range</span>
          <select value={preset} onChange={(e) => choose(e.currentTarget.value as Preset)}>
            <option value="7">Last 7 days</option>
            <option value="30">Last 30 days</option>
            <option value="90">Last 90 days</option>
            <option value="custom">Custom dates</option>
          </select>
        </label>
        {preset === 'custom' && (
          <>
            <label class="ct-field ct-field-inline">
              <span>From</span>
              <input type="date" value={from} max={to} onChange={(e) => e.currentTarget.value && setFrom(e.currentTarget.value)} />
            </label>
            <label class="ct-field ct-field-inline">
              <span>To</span>
              <input type="date" value={to} min={from} onChange={(e) => e.currentTarget.value && setTo(e.currentTarget.value)} />
            </label>
          </>
        )}
        <span class="ct-hint">Days in {team.time_zone}.</span>
      </form>
      {error && (
        <p class="ct-error" role="alert">
          {error}
        </p>
      )}
      <p class="sr-only" role="status" aria-live="polite">
        {loading ? 'Loading metrics…' : main ? 'Metrics loaded.' : ''}
      </p>
      {main && (
        <>
          <dl class="sv-kpis">
            <div class="sv-kpi">
              <dt>Conversations</dt>
              <dd>{main.conversations}</dd>
            </div>
            <div class="sv-kpi">
              <dt>Missed</dt>
              <dd>{main.missed}</dd>
            </div>
            <div class="sv-kpi">
              <dt>Average first response</dt>
              <dd>
                {fmtDuration(main.avg_first_response_seconds)}
                <small>{main.first_responses} answered</small>
              </dd>
            </div>
            <div class="sv-kpi">
              <dt>Average response</dt>
              <dd>
                {fmtDuration(main.avg_response_seconds)}
                <small>
                  {main.responses} {main.responses === 1 ? 'reply' : 'replies'}
                </small>
              </dd>
            </div>
            <div class="sv-kpi sv-kpi-ring">
              <dt>Resolution rate</dt>
              <dd>
                <Ring label="Resolution rate" value={main.resolution_rate} />
                <small>
                  {main.resolved} of {main.closed} closed
                </small>
              </dd>
            </div>
          </dl>
          <div class="sv-charts">
            <BarChart
              title="Conversations per day"
              summary={`${main.conversations} opened from ${from} to ${to}, at most ${Math.max(0, ...main.conversations_per_day.map((d) => d.count))} in a day`}
              points={main.conversations_per_day.map((d) => ({ label: d.date, short: shortDay(d.date), value: d.count }))}
            />
            {trend ? (
              <>
                <LineChart
                  title={`Average response times per ${weekly ? 'week' : 'day'}`}
                  summary={`average first response ${fmtDuration(main.avg_first_response_seconds)}, average response ${fmtDuration(main.avg_response_seconds)} over the range`}
                  series={[
                    { name: 'First response', points: tp((m) => m.avg_first_response_seconds) },
                    { name: 'Any response', points: tp((m) => m.avg_response_seconds) },
                  ]}
                  fmt={fmtDuration}
                  scale="time"
                />
                <BarChart
                  title={`Missed conversations per ${weekly ? 'week' : 'day'}`}
                  summary={`${main.missed} missed over the range (chat was off when the customer wrote)`}
                  points={tp((m) => m.missed)}
                />
                <LineChart
                  title={`Resolution rate per ${weekly ? 'week' : 'day'}`}
                  summary={`${main.resolution_rate === null ? 'no conversation closed' : pct(main.resolution_rate)} over the range`}
                  series={[{ name: 'Resolution rate', points: tp((m) => m.resolution_rate) }]}
                  fmt={pct}
                  scale="ratio"
                />
              </>
            ) : (
              <p class="ct-muted">Loading trends…</p>
            )}
          </div>
          <p class="ct-hint">
            First response: from a customer-opened conversation to the first agent message. Response: from each customer message to the next agent
            message. Resolved: closed with a wrap-up reason other than the default “{team.default_wrap_up_reason}”. Missed: came in while chat was off.
          </p>
        </>
      )}
    </section>
  );
}
