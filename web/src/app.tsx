// The console's frame: sign-in gate, header, sidebar, the routed main area, and the
// global overlays (connection banner, offers). Screens live in their own modules.
import { useEffect } from "preact/hooks";
import "./agent/alerts";
import { OfferPopovers } from "./agent/offers";
import { PresenceControl, RonaBanner } from "./agent/presence";
import { connection } from "./events";
import { counts, loadCounts } from "./inbox/counts";
import { InboxView } from "./inbox/view";
import { useTeam } from "./lib/cache";
import { ErrorBoundary } from "./lib/boundary";
import { Shortcuts } from "./lib/keys";
import { lazy } from "./lib/lazy";
import { Link, match, navigate, useLocation } from "./lib/router";
import { useStore } from "./lib/store";
import { isSupervisor, me, myTeams, signOut } from "./session";
import { SignIn } from "./signin";
import type { Inbox, Me } from "./types";

// Screens not on the first paint are separate chunks.
const SetPasswordPage = lazy(() => import("./account/setpassword").then((m) => m.SetPasswordPage));
const AccountPage = lazy(() => import("./account/account").then((m) => m.AccountPage));
const SearchPage = lazy(() => import("./search/index").then((m) => m.SearchPage));
const NewTextPage = lazy(() => import("./contact/index").then((m) => m.NewTextPage));
const ContactPage = lazy(() => import("./contact/index").then((m) => m.ContactPanel));
const SupervisorPage = lazy(() => import("./supervisor/index").then((m) => m.SupervisorPage));

export const INBOXES: { key: Inbox; label: string }[] = [
  { key: "new", label: "New" },
  { key: "missed", label: "Missed" },
  { key: "mine", label: "Mine" },
  { key: "team", label: "Team" },
  { key: "other", label: "Other" },
  { key: "archived", label: "Archived" },
];

export function App() {
  const loc = useLocation();
  const m = useStore(me);
  // The invitation link works signed in or out.
  if (loc.path === "/set-password") return <SetPasswordPage token={loc.query.get("token") ?? ""} />;
  if (m === undefined) return <p class="splash muted" aria-busy="true">Loading textdesk…</p>;
  if (m === null) return <SignIn />;
  return <Shell me={m} />;
}

function Shell({ me: m }: { me: Me }) {
  const loc = useLocation();
  useEffect(() => {
    void loadCounts();
  }, [m.id]);
  useEffect(() => {
    if (loc.path === "/" || loc.path === "/signin") navigate("/inbox/mine", { replace: true });
  }, [loc.path]);

  return (
    <div class="shell">
      <a class="skip" href="#main">Skip to content</a>
      <Header me={m} />
      <ConnectionBanner />
      <RonaBanner />
      <OfferPopovers />
      <div class="body">
        <Sidebar me={m} />
        <main id="main" class="main" tabIndex={-1}>
          <ErrorBoundary resetKey={loc.path}>
            <Routes me={m} />
          </ErrorBoundary>
        </main>
      </div>
    </div>
  );
}

function Routes({ me: m }: { me: Me }) {
  const { path, query } = useLocation();
  let p: Record<string, string> | null;
  if ((p = match("/inbox/:inbox", path)) || (p = match("/inbox/:inbox/c/:id", path))) {
    return <InboxView inbox={p.inbox as Inbox} teamId={query.get("team") ?? undefined} conversationId={p.id} />;
  }
  if ((p = match("/c/:id", path))) return <InboxView inbox="mine" conversationId={p.id} />;
  if (path === "/search") return <SearchPage query={query.get("q") ?? ""} />;
  if (path === "/new") return <NewTextPage />;
  if ((p = match("/contacts/:id", path))) return <ContactPage contactId={p.id} />;
  if ((p = match("/supervisor/:teamId", path)) || (p = match("/supervisor/:teamId/:section", path))) {
    return <SupervisorPage teamId={p.teamId} section={p.section} />;
  }
  if (path === "/account") return <AccountPage me={m} />;
  return (
    <section class="page">
      <h1>Not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. <Link href="/inbox/mine">Go to your conversations</Link>.
      </p>
    </section>
  );
}

function Header({ me: m }: { me: Me }) {
  return (
    <header class="topbar">
      <Link class="brand" href="/inbox/mine" aria-label="textdesk home">
        <span class="brand-mark" aria-hidden="true">t</span>
        <span>textdesk</span>
      </Link>
      <form
        class="topsearch"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          const q = new FormData(e.currentTarget).get("q");
          navigate(`/search?q=${encodeURIComponent(String(q ?? ""))}`);
        }}
      >
        <input type="search" name="q" aria-label="Search conversations" placeholder="Search phone, ref or name" />
      </form>
      <div class="topbar-end">
        <PresenceControl me={m} />
        <Shortcuts go={navigate} />
        <Link class="btn ghost" href="/account" aria-label={`Account: ${m.name}`}>
          <span class="avatar" aria-hidden="true">{initials(m.name)}</span>
          <span class="hide-sm">{m.name}</span>
        </Link>
        <button class="btn ghost" type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </div>
    </header>
  );
}

function Sidebar({ me: m }: { me: Me }) {
  const { path, query } = useLocation();
  const all = useStore(counts);
  const teams = myTeams(m);
  const several = teams.length > 1;
  const activeInbox = match("/inbox/:inbox", path)?.inbox ?? match("/inbox/:inbox/c/:id", path)?.inbox;
  const activeTeam = query.get("team") ?? "";

  // Several teams: a team switcher scopes the six inboxes (and their counts); the
  // choice lives in the URL (?team=) so it survives reloads and can be shared.
  const scope = several && teams.some((t) => t.id === activeTeam) ? activeTeam : "";
  const ids = teams.map((t) => t.id);
  const scopeName = scope ? teams.find((t) => t.id === scope)?.name ?? "" : "";

  return (
    <nav class="sidebar" aria-label="Inboxes">
      <div class="side-group">
        {several ? (
          <label class="side-scope">
            <span class="side-title">Team</span>
            <select
              aria-label="Inbox team"
              value={scope}
              onChange={(e) => {
                const t = e.currentTarget.value;
                navigate(`/inbox/${activeInbox ?? "mine"}${t ? `?team=${t}` : ""}`);
              }}
            >
              <option value="">All teams{totalLabel(all, ids)}</option>
              {teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                  {totalLabel(all, [t.id])}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <h2 class="side-title"><TeamName id={teams[0]?.id} fallback={teams[0]?.name ?? "Inbox"} /></h2>
        )}
        <ul>
          {INBOXES.map((ib) => {
            const n = countFor(all, ib.key, scope, ids);
            const unread = ib.key === "mine" ? (countFor(all, "mine_unread", scope, ids) ?? 0) : 0;
            const href = `/inbox/${ib.key}${scope ? `?team=${scope}` : ""}`;
            const current = activeInbox === ib.key;
            const label = `${ib.label}${n !== null ? ` ${n}` : ""}${unread ? `, ${unread} unread` : ""}${scopeName ? ` in ${scopeName}` : ""}`;
            return (
              <li key={ib.key}>
                <Link class="side-link" href={href} aria-current={current ? "page" : undefined} aria-label={label}>
                  <span>{ib.label}</span>
                  {unread > 0 && <span class="badge unread" aria-hidden="true">{unread} unread</span>}
                  {n !== null && <span class={`count${n > 0 && (ib.key === "new" || ib.key === "missed") ? " hot" : ""}`} aria-hidden="true">{n}</span>}
                </Link>
              </li>
            );
          })}
        </ul>
      </div>
      <div class="side-group">
        <h2 class="side-title">Tools</h2>
        <ul>
          <li><Link class="side-link" href="/search" aria-current={path === "/search" ? "page" : undefined}>Search</Link></li>
          <li><Link class="side-link" href="/new" aria-current={path === "/new" ? "page" : undefined}>New text</Link></li>
          {teams.filter((t) => isSupervisor(m, t.id)).map((t) => (
            <li key={t.id}>
              <Link class="side-link" href={`/supervisor/${t.id}`} aria-current={path.startsWith(`/supervisor/${t.id}`) ? "page" : undefined}>
                Supervise{several ? ` ${t.name}` : ""}
              </Link>
            </li>
          ))}
        </ul>
      </div>
    </nav>
  );
}

/** " (3 waiting)": what needs an agent in those teams, for the switcher's options. */
function totalLabel(all: Record<string, import("./types").InboxCounts>, ids: string[]): string {
  const n = (countFor(all, "new", "", ids) ?? 0) + (countFor(all, "missed", "", ids) ?? 0);
  return n ? ` (${n} waiting)` : "";
}

function countFor(
  all: Record<string, import("./types").InboxCounts>,
  key: Inbox | "mine_unread",
  teamId: string,
  teamIds: string[],
): number | null {
  if (key === "archived") return null; // not counted by the API: it only grows
  const ids = teamId ? [teamId] : teamIds;
  let n = 0;
  let any = false;
  for (const id of ids) {
    const c = all[id];
    if (!c) continue;
    any = true;
    n += c[key];
  }
  return any ? n : null;
}

/** A team's name: from GET /v1/me's teams when the server sends them, else GET /v1/teams/{id}. */
function TeamName({ id, fallback }: { id?: string; fallback: string }) {
  const t = useTeam(fallback === "Team" ? id : null);
  return <>{t?.name ?? fallback}</>;
}

function ConnectionBanner() {
  const state = useStore(connection);
  if (state !== "reconnecting") return null;
  return (
    <div class="banner warn" role="status">
      Connection lost. Reconnecting… Updates will catch up automatically.
    </div>
  );
}

export function initials(name: string): string {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0]!.toUpperCase()).join("") || "?";
}
