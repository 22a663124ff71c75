// What one can do with a conversation: accept, transfer, conference, end and wrap up,
// archive, unarchive, restrict visibility, delete. Each shows the server's refusal as
// a readable message; every change then arrives through the event stream too.
import { useState } from "preact/hooks";
import { api, errorText } from "../api";
import { useMembers } from "../lib/cache";
import { Modal } from "../lib/dialog";
import { navigate } from "../lib/router";
import { myTeams } from "../session";
import type { ConversationDetail, Me, Member, Team } from "../types";
import { assignees } from "./format";

type Dialog = null | "transfer" | "conference" | "wrapup" | "visibility" | "delete";

type DialogProps = { onClose: () => void; onDone: () => void };

// useDialogRequest runs a dialog's one request: busy while it runs; done, the
// conversation refreshes and the dialog closes; refused, the server's reason shows.
function useDialogRequest(props: DialogProps) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  async function run(request: () => Promise<unknown>) {
    setBusy(true);
    setError("");
    try {
      await request();
      props.onDone();
      props.onClose();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }
  return { error, setError, busy, run };
}

// postAction posts a conversation action once (a retried request is the same action).
function postAction(convId: string, path: string, body?: unknown) {
  return api.post(`/v1/conversations/${convId}/${path}`, body, { headers: { "Idempotency-Key": crypto.randomUUID() } });
}

export function Actions(props: { conv: ConversationDetail; me: Me; team?: Team; onChanged: () => void }) {
  const { conv, me } = props;
  const [dialog, setDialog] = useState<Dialog>(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const who = assignees(conv, me);
  const owner = who[0]?.id === me.id;
  const onIt = who.some((p) => p.id === me.id);
  const admin = me.role === "admin";
  const open = conv.status !== "closed";

  async function act(path: string, body?: unknown, then?: () => void) {
    setBusy(true);
    setError("");
    try {
      await postAction(conv.id, path, body);
      props.onChanged();
      then?.();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  const canAccept = open && !onIt && (conv.status === "new" || conv.status === "missed" || conv.offered_to === me.id);
  return (
    <div class="actions">
      <div class="toolbar" role="toolbar" aria-label="Conversation actions">
        {canAccept && (
          <button class="btn primary" type="button" disabled={busy} onClick={() => void act("accept")}>
            Accept
          </button>
        )}
        {open && (owner || admin) && conv.status === "active" && (
          <>
            <button class="btn" type="button" onClick={() => setDialog("transfer")}>Transfer</button>
            <button class="btn" type="button" onClick={() => setDialog("conference")}>Add agent</button>
          </>
        )}
        {open && onIt && !owner && (
          <button class="btn" type="button" disabled={busy} onClick={() => void leave(me.id)}>
            Leave conversation
          </button>
        )}
        {open && (owner || admin) && who.length > 1 && (
          <button class="btn" type="button" disabled={busy} onClick={() => void endConference()}>
            End conference
          </button>
        )}
        {conv.status === "active" && (onIt || admin) && (
          <button class="btn" type="button" disabled={busy} onClick={() => void act("end", undefined, () => setDialog("wrapup"))}>
            End conversation
          </button>
        )}
        {conv.status === "wrap_up" && (onIt || admin) && (
          <button class="btn primary" type="button" onClick={() => setDialog("wrapup")}>
            Wrap up
          </button>
        )}
        {conv.status === "closed" && (
          <button class="btn" type="button" disabled={busy} onClick={() => void act("unarchive")}>
            Unarchive
          </button>
        )}
        {(open || admin) && (
          <details
            class="menu"
            onClick={(e) => {
              // A chosen item closes the menu.
              if ((e.target as HTMLElement).closest(".menu-item")) e.currentTarget.open = false;
            }}
            onKeyDown={(e) => {
              if (e.key === "Escape" && e.currentTarget.open) {
                e.currentTarget.open = false;
                e.currentTarget.querySelector("summary")?.focus();
              }
            }}
          >
            <summary class="btn ghost" aria-label="More actions">More</summary>
            <div class="menu-list">
              {open && (onIt || admin) && (
                <button type="button" class="menu-item" disabled={busy} onClick={() => void act("archive")}>
                  Archive (close now)
                </button>
              )}
              {open && (owner || admin) && (
                <button type="button" class="menu-item" onClick={() => setDialog("visibility")}>
                  Restrict visibility…
                </button>
              )}
              {admin && (
                <button type="button" class="menu-item danger" onClick={() => setDialog("delete")}>
                  Delete conversation…
                </button>
              )}
            </div>
          </details>
        )}
      </div>
      {error && <p class="error small" role="alert">{error}</p>}
      {dialog === "transfer" && <TransferDialog conv={conv} me={me} onClose={() => setDialog(null)} onDone={props.onChanged} />}
      {dialog === "conference" && <ConferenceDialog conv={conv} me={me} onClose={() => setDialog(null)} onDone={props.onChanged} />}
      {dialog === "wrapup" && <WrapUpDialog conv={conv} team={props.team} onClose={() => setDialog(null)} onDone={props.onChanged} />}
      {dialog === "visibility" && <VisibilityDialog conv={conv} me={me} onClose={() => setDialog(null)} onDone={props.onChanged} />}
      {dialog === "delete" && <DeleteDialog conv={conv} onClose={() => setDialog(null)} onDone={() => navigate("/inbox/team")} />}
    </div>
  );

  async function leave(userId: string) {
    setBusy(true);
    setError("");
    try {
      await api.del(`/v1/conversations/${conv.id}/conference/${userId}`);
      props.onChanged();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  async function endConference() {
    for (const p of who.slice(1)) await leave(p.id);
  }
}

const PRESENCE: Record<string, string> = { available: "Available", away: "Away", rona: "RONA", offline: "Offline" };

/** Team members with presence and load, as radio buttons. */
function MemberPicker(props: { teamId: string; exclude: string[]; value: string; onChange: (id: string) => void; label: string }) {
  const members = useMembers(props.teamId);
  if (!members) return <p class="muted" aria-busy="true">Loading the team…</p>;
  const list = members.filter((m) => !props.exclude.includes(m.id));
  if (!list.length) return <p class="muted">Nobody else in this team.</p>;
  const order = (m: Member) => (m.presence.state === "available" ? 0 : m.presence.state === "away" ? 1 : 2);
  return (
    <fieldset class="picker">
      <legend>{props.label}</legend>
      {[...list].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name)).map((m) => (
        <label key={m.id} class="pick">
          <input type="radio" name="member" value={m.id} checked={props.value === m.id} onChange={() => props.onChange(m.id)} />
          <span class={`dot ${m.presence.state}`} aria-hidden="true" />
          <span class="pick-name">{m.name}</span>
          <span class="muted small">
            {PRESENCE[m.presence.state] ?? m.presence.state} · {m.open_conversations}/{m.capacity} open
          </span>
        </label>
      ))}
    </fieldset>
  );
}

function TransferDialog(props: { conv: ConversationDetail; me: Me } & DialogProps) {
  const [to, setTo] = useState<"member" | "team">("member");
  const [userId, setUserId] = useState("");
  const [teamId, setTeamId] = useState("");
  const { error, busy, run } = useDialogRequest(props);
  const teams = myTeams(props.me).filter((t) => t.id !== props.conv.team_id);
  function submit(e: Event) {
    e.preventDefault();
    void run(() => postAction(props.conv.id, "transfer", to === "member" ? { user_id: userId } : { team_id: teamId }));
  }
  return (
    <Modal title="Transfer conversation" onClose={props.onClose}>
      <form onSubmit={submit}>
        <div class="segmented" role="group" aria-label="Transfer to">
          <button type="button" class="tab" aria-pressed={to === "member"} onClick={() => setTo("member")}>A colleague</button>
          <button type="button" class="tab" aria-pressed={to === "team"} onClick={() => setTo("team")} disabled={!teams.length}>Another team</button>
        </div>
        {to === "member" ? (
          <>
            <MemberPicker teamId={props.conv.team_id} exclude={assignees(props.conv, props.me).map((p) => p.id)} value={userId} onChange={setUserId} label="Colleague" />
            <p class="muted small">They get an offer; if they do not accept in time, the conversation stays with you.</p>
          </>
        ) : (
          <label class="field">
            <span>Team</span>
            <select required value={teamId} onChange={(e) => setTeamId(e.currentTarget.value)}>
              <option value="">Choose a team</option>
              {teams.map((t) => <option key={t.id} value={t.id}>{t.name}</option>)}
            </select>
          </label>
        )}
        {error && <p class="error" role="alert">{error}</p>}
        <div class="modal-foot">
          <button type="button" class="btn" onClick={props.onClose}>Cancel</button>
          <button type="submit" class="btn primary" disabled={busy || (to === "member" ? !userId : !teamId)}>Transfer</button>
        </div>
      </form>
    </Modal>
  );
}

function ConferenceDialog(props: { conv: ConversationDetail; me: Me } & DialogProps) {
  const [userId, setUserId] = useState("");
  const { error, busy, run } = useDialogRequest(props);
  function submit(e: Event) {
    e.preventDefault();
    void run(() => postAction(props.conv.id, "conference", { user_id: userId }));
  }
  return (
    <Modal title="Add an agent to the conversation" onClose={props.onClose}>
      <form onSubmit={submit}>
        <MemberPicker teamId={props.conv.team_id} exclude={assignees(props.conv, props.me).map((p) => p.id)} value={userId} onChange={setUserId} label="Colleague" />
        {error && <p class="error" role="alert">{error}</p>}
        <div class="modal-foot">
          <button type="button" class="btn" onClick={props.onClose}>Cancel</button>
          <button type="submit" class="btn primary" disabled={busy || !userId}>Invite</button>
        </div>
      </form>
    </Modal>
  );
}

function WrapUpDialog(props: { conv: ConversationDetail; team?: Team } & DialogProps) {
  const [reason, setReason] = useState("");
  const [closing, setClosing] = useState("");
  const { error, setError, busy, run } = useDialogRequest(props);
  const reasons = props.team?.wrap_up_reasons ?? [];
  function submit(e: Event) {
    e.preventDefault();
    if (!reason) {
      setError("Choose a wrap-up reason.");
      return;
    }
    const body: Record<string, string> = { reason };
    if (closing.trim()) body.closing_message = closing;
    void run(() => postAction(props.conv.id, "wrap-up", body));
  }
  return (
    <Modal title="Wrap up" onClose={props.onClose}>
      <form onSubmit={submit}>
        <label class="field">
          <span>Wrap-up reason</span>
          <select aria-label="Wrap-up reason" required value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
            <option value="">Choose a reason</option>
            {reasons.map((r) => <option key={r} value={r}>{r}</option>)}
            {props.team && !reasons.includes(props.team.default_wrap_up_reason) && props.team.default_wrap_up_reason && (
              <option value={props.team.default_wrap_up_reason}>{props.team.default_wrap_up_reason}</option>
            )}
          </select>
        </label>
        <label class="field">
          <span>Closing message</span>
          <textarea aria-label="Closing message" rows={3} maxLength={1000} value={closing} placeholder="Optional: sent to the customer" onInput={(e) => setClosing(e.currentTarget.value)} />
        </label>
        {props.team && (
          <p class="muted small">
            If nobody wraps up, “{props.team.default_wrap_up_reason}” applies after {Math.round(props.team.wrap_up_timeout_seconds / 60)} min.
          </p>
        )}
        {error && <p class="error" role="alert">{error}</p>}
        <div class="modal-foot">
          <button type="button" class="btn" onClick={props.onClose}>Later</button>
          <button type="submit" class="btn primary" disabled={busy}>Close conversation</button>
        </div>
      </form>
    </Modal>
  );
}

function VisibilityDialog(props: { conv: ConversationDetail; me: Me } & DialogProps) {
  const members = useMembers(props.conv.team_id);
  const onConv = assignees(props.conv, props.me).map((p) => p.id);
  const [picked, setPicked] = useState<Set<string>>(new Set(props.conv.visible_to.length ? props.conv.visible_to : onConv));
  const { error, run } = useDialogRequest(props);
  function save(ids: string[]) {
    void run(() => api.put(`/v1/conversations/${props.conv.id}/visibility`, { user_ids: ids }));
  }
  return (
    <Modal title="Who can see this conversation" onClose={props.onClose}>
      <p class="muted small">Only the people checked (and admins) will see it anywhere: lists, search, history, alerts.</p>
      {!members ? (
        <p class="muted">Loading…</p>
      ) : (
        <fieldset class="picker">
          <legend>Visible to</legend>
          {members.map((m) => (
            <label key={m.id} class="pick">
              <input
                type="checkbox"
                checked={picked.has(m.id)}
                disabled={onConv.includes(m.id)}
                onChange={(e) => {
                  const next = new Set(picked);
                  if (e.currentTarget.checked) next.add(m.id);
                  else next.delete(m.id);
                  setPicked(next);
                }}
              />
              <span class="pick-name">{m.name}</span>
              {onConv.includes(m.id) && <span class="muted small">on the conversation</span>}
            </label>
          ))}
        </fieldset>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      <div class="modal-foot">
        {props.conv.visible_to.length > 0 && <button type="button" class="btn" onClick={() => save([])}>Visible to the whole team</button>}
        <button type="button" class="btn primary" onClick={() => save([...picked])}>Restrict</button>
      </div>
    </Modal>
  );
}

function DeleteDialog(props: { conv: ConversationDetail } & DialogProps) {
  const { error, run } = useDialogRequest(props);
  return (
    <Modal title="Delete this conversation?" onClose={props.onClose} role="alertdialog">
      <p>The conversation and its messages are removed for everyone. This cannot be undone.</p>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="modal-foot">
        <button type="button" class="btn" onClick={props.onClose}>Keep it</button>
        <button
          type="button"
          class="btn danger solid"
          onClick={() => void run(() => api.del(`/v1/conversations/${props.conv.id}`))}
        >
          Delete
        </button>
      </div>
    </Modal>
  );
}
