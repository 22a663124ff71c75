// The compose box: reply, internal note, or schedule for later, with the live SMS
// counter (characters, segments, encoding: the server's rules, lib/sms.ts).
import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { useTemplates } from "../lib/cache";
import { segments } from "../lib/sms";
import { fill, placeholders } from "../lib/template";
import { utcToZoned, zonedLabel, zonedToUTC } from "../lib/time";
import type { ConversationDetail, ScheduledMessage, Team, Template } from "../types";

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
  const [filling, setFilling] = useState<Template | null>(null);
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
  const unfilled = placeholders(body);

  function insert(text: string) {
    setBody((b) => (b ? `${b}${b.endsWith(" ") ? "" : " "}${text}` : text).slice(0, MAX));
    setFilling(null);
    box.current?.focus();
  }
  // A template's built-ins ({{contact.name}}, fallbacks) are the server's to fill: the
  // agent sees, and sends, the text the customer will read.
  async function insertTemplate(text: string) {
    if (text.includes("{{") && placeholders(text).length === 0) {
      try {
        text = (await api.post<{ text: string }>("/v1/templates/preview", { conversation_id: conv.id, body: text })).text;
      } catch (e) {
        setError(errorText(e));
        return;
      }
    }
    insert(text);
  }
  const empty = body.trim() === "";

  async function submit() {
    if (empty || busy || props.disabled) return;
    if (unfilled.length && !note) {
      setError(`Fill in ${unfilled.map((v) => `{{${v}}}`).join(", ")} first: the customer would see it as written.`);
      return;
    }
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
                e.currentTarget.value = "";
                if (!t) return;
                if (placeholders(t.body).length) setFilling(t);
                else void insertTemplate(t.body);
              }}
            >
              <option value="">Templates…</option>
              {templates.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
            </select>
          )}
        </div>
        {filling && <FillTemplate t={filling} onInsert={(text) => void insertTemplate(text)} onCancel={() => setFilling(null)} />}
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

/** Asks for each placeholder's value, then inserts the filled-in template. */
function FillTemplate(props: { t: Template; onInsert: (text: string) => void; onCancel: () => void }) {
  const vars = placeholders(props.t.body);
  const [vals, setVals] = useState<Record<string, string>>({});
  const filled = fill(props.t.body, vals);
  return (
    <fieldset class="fill-template">
      <legend>Template “{props.t.name}”</legend>
      {vars.map((v, i) => (
        <label key={v}>
          <span>{v.replace(/_/g, " ")}</span>
          <input autoFocus={i === 0} value={vals[v] ?? ""} onInput={(e) => setVals({ ...vals, [v]: e.currentTarget.value })}
            onKeyDown={(e) => { if (e.key === "Enter") { e.preventDefault(); props.onInsert(filled); } }} />
        </label>
      ))}
      <p class="small muted preview">{filled}</p>
      <div class="row">
        <button type="button" class="btn small primary" onClick={() => props.onInsert(filled)}>Insert</button>
        <button type="button" class="btn small ghost" onClick={props.onCancel}>Cancel</button>
      </div>
    </fieldset>
  );
}
