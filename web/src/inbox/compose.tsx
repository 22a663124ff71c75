// The compose box: reply, internal note, or schedule for later, with the live SMS
// counter (characters, segments, encoding: the server's rules, lib/sms.ts).
import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { useTemplates } from "../lib/cache";
import { segments } from "../lib/sms";
import { utcToZoned, zonedLabel, zonedToUTC } from "../lib/time";
import type { ConversationDetail, ScheduledMessage, Team } from "../types";

export const MAX = 1000;

export function Compose(props: { conv: ConversationDetail; team?: Team; onSent: () => void; disabled?: string }) {
  const { conv, team } = props;
  const [body, setBody] = useState("");
  const [note, setNote] = useState(false);
  const [later, setLater] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [when, setWhen] = useState(() => defaultWhen(team?.time_zone));
  const [schedGen, setSchedGen] = useState(0);
  const box = useRef<HTMLTextAreaElement>(null);
  const templates = useTemplates(conv.team_id);
  const zone = team?.time_zone || "UTC";

  useEffect(() => {
    setBody("");
    setError("");
    setNote(false);
    setLater(false);
  }, [conv.id]);
  useEffect(() => setWhen(defaultWhen(team?.time_zone)), [team?.time_zone]);

  const info = segments(body);
  const empty = body.trim() === "";

  async function submit() {
    if (empty || busy || props.disabled) return;
    setBusy(true);
    setError("");
    try {
      const headers = { "Idempotency-Key": crypto.randomUUID() };
      if (later && !note) {
        const sendAt = zonedToUTC(when.date, when.time, zone);
        if (sendAt.getTime() <= Date.now()) throw new Error("Pick a time in the future.");
        await api.post("/v1/scheduled-messages", { team_id: conv.team_id, to: conv.contact_phone, body, send_at: sendAt.toISOString() }, { headers });
        setSchedGen((g) => g + 1);
      } else {
        await api.post(`/v1/conversations/${conv.id}/${note ? "notes" : "messages"}`, { body }, { headers });
      }
      setBody("");
      props.onSent();
      box.current?.focus();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  const mode = note ? "note" : later ? "later" : "reply";
  return (
    <div class={`compose-wrap${note ? " note-mode" : ""}`}>
      <Scheduled convId={conv.id} zone={zone} gen={schedGen} />
      <form
        class="compose"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div class="compose-tabs" role="group" aria-label="Compose mode">
          <button type="button" class="tab" aria-pressed={mode === "reply"} onClick={() => { setNote(false); setLater(false); }}>Reply</button>
          <button type="button" class="tab" aria-pressed={mode === "note"} onClick={() => { setNote(true); setLater(false); }}>Note</button>
          <button type="button" class="tab" aria-pressed={mode === "later"} onClick={() => { setNote(false); setLater(true); }}>Schedule</button>
          {templates && templates.length > 0 && (
            <select
              class="templates"
              aria-label="Insert template"
              value=""
              onChange={(e) => {
                const t = templates.find((x) => x.id === e.currentTarget.value);
                if (t) setBody((b) => (b ? `${b}${b.endsWith(" ") ? "" : " "}${t.body}` : t.body).slice(0, MAX));
                e.currentTarget.value = "";
                box.current?.focus();
              }}
            >
              <option value="">Templates…</option>
              {templates.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
            </select>
          )}
        </div>
        <textarea
          ref={box}
          aria-label="Message"
          name="message"
          rows={3}
          maxLength={MAX}
          placeholder={props.disabled ?? (note ? "Internal note: only your team sees it" : later ? `Message to send later (${zone})` : "Reply to the customer (Enter sends, Shift+Enter for a new line)")}
          disabled={!!props.disabled}
          value={body}
          onInput={(e) => setBody(e.currentTarget.value.slice(0, MAX))}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
              e.preventDefault();
              void submit();
            }
          }}
        />
        {later && (
          <div class="compose-later">
            <label>
              <span>Date</span>
              <input type="date" aria-label="Send date" required value={when.date} min={defaultWhen(zone, 0).date} onInput={(e) => setWhen({ ...when, date: e.currentTarget.value })} />
            </label>
            <label>
              <span>Time</span>
              <input type="time" aria-label="Send time" required value={when.time} onInput={(e) => setWhen({ ...when, time: e.currentTarget.value })} />
            </label>
            <span class="muted small">Team time ({zone})</span>
          </div>
        )}
        <div class="compose-foot">
          <span class={`counter small${body.length >= MAX ? " at-limit" : ""}`} aria-live="polite">
            {note ? `${body.length}/1000 · note, not sent` : `${body.length}/1000 · ${info.segments} SMS segment${info.segments === 1 ? "" : "s"} · ${info.encoding}`}
          </span>
          {error && <span class="error small" role="alert">{error}</span>}
          <button class="btn primary" type="submit" disabled={empty || busy || !!props.disabled}>
            {later && !note ? "Schedule" : note ? "Add note" : "Send"}
          </button>
        </div>
      </form>
    </div>
  );
}

function defaultWhen(zone = "UTC", addHours = 1): { date: string; time: string } {
  try {
    const t = utcToZoned(Date.now() + addHours * 3600_000, zone);
    return { date: t.date, time: addHours ? `${t.time.slice(0, 2)}:00` : t.time };
  } catch {
    return utcToZoned(Date.now() + addHours * 3600_000, "UTC");
  }
}

function Scheduled({ convId, zone, gen }: { convId: string; zone: string; gen: number }) {
  const [items, setItems] = useState<ScheduledMessage[]>([]);
  const [error, setError] = useState("");
  async function load() {
    try {
      const r = await api.get<{ scheduled: ScheduledMessage[] }>(`/v1/conversations/${convId}/scheduled`);
      setItems(r.scheduled);
    } catch {
      setItems([]);
    }
  }
  useEffect(() => void load(), [convId, gen]);
  if (!items.length) return null;
  return (
    <section class="scheduled" aria-label="Scheduled messages">
      <h2 class="small">Scheduled ({items.length})</h2>
      <ul>
        {items.map((s) => (
          <li key={s.id}>
            <span class="sched-when">{zonedLabel(s.send_at, zone)}</span>
            <span class="sched-body">{s.body}</span>
            <button
              class="btn small"
              type="button"
              aria-label={`Cancel scheduled message: ${s.body.slice(0, 40)}`}
              onClick={async () => {
                try {
                  await api.del(`/v1/scheduled-messages/${s.id}`);
                  setError("");
                  await load();
                } catch (e) {
                  setError(errorText(e));
                }
              }}
            >
              Cancel
            </button>
          </li>
        ))}
      </ul>
      {error && <p class="error small" role="alert">{error}</p>}
    </section>
  );
}
