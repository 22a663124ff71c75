// Search (GET /v1/search): conversations of the last 90 days by the customer's
// number, ref or name, each linking to its conversation and its contact.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Contact, Conversation, ConversationPage, MeLike } from '../contact/types';
import { STATUS_WORDS, contactHref, conversationHref, errorText, fmtDateTime, fmtPhone, http, qs } from '../contact/common';
import { useTeams } from '../contact/teams';
import { Link, navigate, useLocation } from '../lib/router';

import { guessField, problem, type Field } from './query';

export function SearchPage({ me, query }: { me: MeLike; query: string }) {
  const teams = useTeams(me);
  const loc = useLocation();
  const urlBy = loc.query.get('by');
  const by0: Field = urlBy === 'phone' || urlBy === 'ref' || urlBy === 'name' ? urlBy : 'auto';
  const [q, setQ] = useState(query);
  const [by, setBy] = useState<Field>(by0);
  const [team, setTeam] = useState(loc.query.get('team') ?? '');
  const [results, setResults] = useState<Conversation[] | null>(null);
  const [cursor, setCursor] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [asked, setAsked] = useState<{ field: string; value: string } | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const [contacts, setContacts] = useState<Contact[] | null>(null);

  const fetchPage = async (field: Exclude<Field, 'auto'>, value: string, teamId: string, after: string | undefined, prev: Conversation[]) => {
    setBusy(true);
    setError('');
    try {
      const page = await http.get<ConversationPage>(`/v1/search${qs({ [field]: value, team: teamId || undefined, limit: 50, cursor: after })}`);
      setResults([...prev, ...page.conversations]);
      setCursor(page.next_cursor);
      setAsked({ field, value });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  // The URL (?q=&by=&team=) is the search: the header's box, a reload or Back run it again.
  const urlTeam = loc.query.get('team') ?? '';
  useEffect(() => {
    setQ(query);
    setBy(by0);
    setTeam(urlTeam);
    if (!query.trim()) {
      setResults(null);
      setAsked(null);
      input.current?.focus();
      return;
    }
    const field = by0 === 'auto' ? guessField(query) : by0;
    const p = problem(field, query);
    if (p) {
      setError(p);
      setResults(null);
      return;
    }
    void fetchPage(field, query.trim(), urlTeam, undefined, []);
    // Contacts too, also those without a conversation in the last 90 days.
    let live = true;
    setContacts(null);
    http
      .get<{ contacts: Contact[] }>(`/v1/contacts${qs({ q: query.trim(), limit: 10 })}`)
      .then((r) => live && setContacts(r.contacts))
      .catch(() => live && setContacts([]));
    return () => {
      live = false;
    };
  }, [query, by0, urlTeam]);

  const submit = (e: Event) => {
    e.preventDefault();
    const field = by === 'auto' ? guessField(q) : by;
    const p = problem(field, q);
    if (p) {
      setError(p);
      input.current?.focus();
      return;
    }
    navigate(`/search${qs({ q: q.trim(), by: by === 'auto' ? undefined : by, team: team || undefined })}`);
  };
  const more = () => {
    if (asked) void fetchPage(asked.field as Exclude<Field, 'auto'>, asked.value, urlTeam, cursor, results ?? []);
  };

  const teamName = (id: string) => teams.find((t) => t.id === id)?.name ?? '';
  const fieldWords: Record<string, string> = { phone: 'number', ref: 'ref', name: 'name' };

  return (
    <section class="page sr-page" aria-labelledby="sr-h">
      <h1 id="sr-h" class="sr-title">
        Search
      </h1>
      <p class="sr-hint">Conversations opened in the last 90 days, by the customer’s number (or its first digits), ref or name.</p>
      <form
        class="sr-form"
        role="search"
        aria-label="Search conversations"
        onSubmit={submit}
      >
        <label class="ct-field sr-q">
          <span>Search for</span>
          <input
            ref={input}
            type="search"
            value={q}
            maxLength={100}
            autoComplete="off"
            placeholder="+1 415 555 0123, A-1234 or Ada"
            onInput={(e) => setQ(e.currentTarget.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'sr-err' : undefined}
          />
        </label>
        <label class="ct-field">
          <span>By</span>
          <select value={by} onChange={(e) => setBy(e.currentTarget.value as Field)}>
            <option value="auto">Number or name</option>
            <option value="phone">Number</option>
            <option value="ref">Ref (exact)</option>
            <option value="name">Name</option>
          </select>
        </label>
        {teams.length > 1 && (
          <label class="ct-field">
            <span>Team</span>
            <select value={team} onChange={(e) => setTeam(e.currentTarget.value)}>
              <option value="">All my teams</option>
              {teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="submit" class="btn primary" disabled={busy}>
          Search
        </button>
      </form>
      {error && (
        <p id="sr-err" class="ct-error" role="alert">
          {error}
        </p>
      )}
      <p class="sr-count" role="status" aria-live="polite">
        {busy && !results
          ? 'Searching…'
          : results && asked
            ? `${results.length}${cursor ? '+' : ''} ${results.length === 1 ? 'conversation' : 'conversations'} for ${fieldWords[asked.field]} “${asked.value}”`
            : ''}
      </p>
      {results && results.length > 0 && (
        <table class="sr-table">
          <caption class="sr-only">Search results</caption>
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">Ref</th>
              {teams.length > 1 && <th scope="col">Team</th>}
              <th scope="col">Status</th>
              <th scope="col">Opened</th>
              <th scope="col">Last message</th>
              <th scope="col">
                <span class="sr-only">Links</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {results.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link href={conversationHref(c.id)}>{c.contact_name || fmtPhone(c.contact_phone)}</Link>
                  {c.contact_name && <div class="sr-sub">{fmtPhone(c.contact_phone)}</div>}
                </td>
                <td>{c.contact_ref}</td>
                {teams.length > 1 && <td>{teamName(c.team_id)}</td>}
                <td>
                  <span class={`sr-status sr-status-${c.status}`}>{STATUS_WORDS[c.status] ?? c.status}</span>
                </td>
                <td>{fmtDateTime(c.opened_at)}</td>
                <td>{fmtDateTime(c.last_message_at)}</td>
                <td>
                  <Link href={contactHref(c.contact_id)} aria-label={`Contact ${c.contact_name || c.contact_phone}`}>
                    Contact
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {results && results.length === 0 && <p class="ct-muted">No conversations in the last 90 days match.</p>}
      {cursor && (
        <button type="button" class="btn" disabled={busy} onClick={more}>
          {busy ? 'Loading…' : 'More results'}
        </button>
      )}
      {contacts && contacts.length > 0 && (
        <section class="sr-contacts" aria-labelledby="sr-contacts-h">
          <h2 id="sr-contacts-h">Contacts</h2>
          <ul class="sr-contact-list">
            {contacts.map((c) => (
              <li key={c.id}>
                <Link href={contactHref(c.id)}>{c.name || fmtPhone(c.phone)}</Link>
                <span class="sr-sub">
                  {' '}
                  {c.name && fmtPhone(c.phone)}
                  {c.ref && ` · Ref ${c.ref}`}
                  {c.opted_out && ' · opted out'}
                  {c.blocked && ' · blocked'}
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
