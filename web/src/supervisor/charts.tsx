// Small inline-SVG charts (no chart library): bars and lines, each with a text
// alternative (the figure's caption and a data table behind "Show data").
// Colours come from CSS classes, so light and dark themes restyle them.

export interface Point {
  label: string;
  /** Short label under the axis (every few points). */
  short?: string;
  value: number | null;
}

const W = 640;
const H = 220;
const PAD = { l: 48, r: 12, t: 12, b: 28 };

export type Scale = 'count' | 'time' | 'ratio';

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

/** A step that puts the largest value within 4 gridlines: whole numbers for counts, round durations for times (seconds). */
export function niceStep(v: number, scale: Scale): number {
  if (scale === 'ratio') return 0.25;
  const raw = Math.max(v, 1e-9) / 4;
  if (scale === 'time') return TIME_STEPS.find((s) => s >= raw) ?? Math.ceil(raw / 86400) * 86400;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = [1, 2, 5, 10].find((k) => k * p >= raw) ?? 10;
  return Math.max(1, m * p);
}

export function niceMax(v: number, scale: Scale): number {
  if (scale === 'ratio') return 1;
  const step = niceStep(v, scale);
  return Math.max(step, Math.ceil(v / step) * step);
}

function Axis({ max, step, fmt }: { max: number; step: number; fmt: (v: number) => string }) {
  const ticks: number[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) ticks.push(t);
  const ih = H - PAD.t - PAD.b;
  return (
    <g class="ch-axis">
      {ticks.map((t) => {
        const y = PAD.t + ih - (t / max) * ih;
        return (
          <g key={t}>
            <line x1={PAD.l} x2={W - PAD.r} y1={y} y2={y} class="ch-grid" />
            <text x={PAD.l - 6} y={y + 4} text-anchor="end">
              {fmt(t)}
            </text>
          </g>
        );
      })}
    </g>
  );
}

function XLabels({ points, x }: { points: Point[]; x: (i: number) => number }) {
  // Every few points, counted back from the newest so it is always labelled.
  const every = Math.max(1, Math.ceil(points.length / 8));
  return (
    <g class="ch-axis">
      {points.map((p, i) =>
        (points.length - 1 - i) % every === 0 ? (
          <text key={i} x={x(i)} y={H - 8} text-anchor={x(i) < PAD.l + 16 ? 'start' : x(i) > W - PAD.r - 16 ? 'end' : 'middle'}>
            {p.short ?? p.label}
          </text>
        ) : null,
      )}
    </g>
  );
}

function DataTable({ caption, points, series, fmt }: { caption: string; points: Point[]; series?: Array<{ name: string; points: Point[] }>; fmt: (v: number) => string }) {
  const cols = series ?? [{ name: 'Value', points }];
  const rows = cols[0]?.points ?? [];
  return (
    <details class="ch-data">
      <summary>Show data</summary>
      <table class="sv-table">
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Period</th>
            {cols.map((c) => (
              <th scope="col" key={c.name}>
                {c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((p, i) => (
            <tr key={p.label}>
              <th scope="row">{p.label}</th>
              {cols.map((c) => {
                const v = c.points[i]?.value;
                return <td key={c.name}>{v === null || v === undefined ? '—' : fmt(v)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

export function BarChart({ title, summary, points, fmt = (v) => String(Math.round(v)) }: { title: string; summary: string; points: Point[]; fmt?: (v: number) => string }) {
  const top = Math.max(0, ...points.map((p) => p.value ?? 0));
  const max = niceMax(top, 'count');
  const step = niceStep(top, 'count');
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const slot = iw / Math.max(1, points.length);
  const bw = Math.max(2, Math.min(40, slot * 0.7));
  const x = (i: number) => PAD.l + slot * i + slot / 2;
  return (
    <figure class="ch">
      <figcaption class="ch-title">{title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} class="ch-svg" role="img" aria-label={`${title}: ${summary}`}>
        <Axis max={max} step={step} fmt={fmt} />
        {points.map((p, i) => {
          const v = p.value ?? 0;
          const h = (v / max) * ih;
          return (
            <rect key={i} class="ch-bar" x={x(i) - bw / 2} y={PAD.t + ih - h} width={bw} height={Math.max(0, h)} rx={2}>
              <title>
                {p.label}: {p.value === null ? 'no data' : fmt(v)}
              </title>
            </rect>
          );
        })}
        <XLabels points={points} x={x} />
      </svg>
      <DataTable caption={title} points={points} fmt={fmt} />
    </figure>
  );
}

export function LineChart({
  title,
  summary,
  series,
  fmt = (v) => String(Math.round(v)),
  scale = 'count',
}: {
  title: string;
  summary: string;
  series: Array<{ name: string; points: Point[] }>;
  fmt?: (v: number) => string;
  scale?: Scale;
}) {
  const top = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.value ?? 0)));
  const max = niceMax(top, scale);
  const step = niceStep(top, scale);
  const n = series[0]?.points.length ?? 0;
  const iw = W - PAD.l - PAD.r;
  const ih = H - PAD.t - PAD.b;
  const x = (i: number) => (n <= 1 ? PAD.l + iw / 2 : PAD.l + (iw * i) / (n - 1));
  const y = (v: number) => PAD.t + ih - (v / max) * ih;
  return (
    <figure class="ch">
      <figcaption class="ch-title">{title}</figcaption>
      {series.length > 1 && (
        <ul class="ch-legend" aria-hidden="true">
          {series.map((s, k) => (
            <li key={s.name}>
              <span class={`ch-swatch ch-s${k}`} />
              {s.name}
            </li>
          ))}
        </ul>
      )}
      <svg viewBox={`0 0 ${W} ${H}`} class="ch-svg" role="img" aria-label={`${title}: ${summary}`}>
        <Axis max={max} step={step} fmt={fmt} />
        {series.map((s, k) => {
          // Gaps where a period has no sample.
          const segs: string[] = [];
          let cur = '';
          s.points.forEach((p, i) => {
            if (p.value === null) {
              if (cur) segs.push(cur);
              cur = '';
            } else cur += `${cur ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`;
          });
          if (cur) segs.push(cur);
          return (
            <g key={s.name} class={`ch-line ch-s${k}`}>
              {segs.map((d, j) => (
                <path key={j} d={d} fill="none" />
              ))}
              {s.points.map((p, i) =>
                p.value === null ? null : (
                  <circle key={i} cx={x(i)} cy={y(p.value)} r={3}>
                    <title>
                      {s.name}, {p.label}: {fmt(p.value)}
                    </title>
                  </circle>
                ),
              )}
            </g>
          );
        })}
        <XLabels points={series[0]?.points ?? []} x={x} />
      </svg>
      <DataTable caption={title} points={series[0]?.points ?? []} series={series} fmt={fmt} />
    </figure>
  );
}

/** A ring showing a share (0..1), e.g. the resolution rate. */
export function Ring({ label, value }: { label: string; value: number | null }) {
  const r = 40;
  const c = 2 * Math.PI * r;
  const v = value ?? 0;
  return (
    <svg viewBox="0 0 100 100" class="ch-ring" role="img" aria-label={`${label}: ${value === null ? 'no data' : `${Math.round(v * 100)}%`}`}>
      <circle cx={50} cy={50} r={r} class="ch-ring-bg" />
      {value !== null && <circle cx={50} cy={50} r={r} class="ch-ring-fg" stroke-dasharray={`${(v * c).toFixed(2)} ${c.toFixed(2)}`} transform="rotate(-90 50 50)" />}
      <text x={50} y={56} text-anchor="middle" class="ch-ring-text">
        {value === null ? '—' : `${Math.round(v * 100)}%`}
      </text>
    </svg>
  );
}
