// Single-key shortcuts for people who live in the console, active only when no text
// field has focus (so typing is never hijacked). "?" lists them.
import { useEffect, useState } from "preact/hooks";
import { Modal } from "./dialog";

export const SHORTCUTS: [string, string][] = [
  ["j / k", "Next / previous conversation in the list"],
  ["r", "Write a reply (focus the message box)"],
  ["a", "Accept the oldest offer"],
  ["/", "Search"],
  ["g then n, m, t", "Go to New, Mine, Team"],
  ["?", "Show these shortcuts"],
];

function typing(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || !!el.closest("dialog[open]");
}

function clickSibling(step: 1 | -1): void {
  const links = [...document.querySelectorAll<HTMLAnchorElement>(".conv-link")];
  if (!links.length) return;
  const i = links.findIndex((a) => a.getAttribute("aria-current") === "true");
  const next = links[Math.max(0, Math.min(links.length - 1, i < 0 ? 0 : i + step))];
  next?.click();
  next?.focus();
}

export function Shortcuts(props: { go: (path: string) => void }) {
  const [help, setHelp] = useState(false);
  useEffect(() => {
    let g = false;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      const k = e.key;
      if (g) {
        g = false;
        const dest = { n: "/inbox/new", m: "/inbox/mine", t: "/inbox/team" }[k];
        if (dest) {
          e.preventDefault();
          props.go(dest);
        }
        return;
      }
      const act: Record<string, () => void> = {
        j: () => clickSibling(1),
        k: () => clickSibling(-1),
        r: () => document.querySelector<HTMLTextAreaElement>('textarea[aria-label="Message"]')?.focus(),
        a: () => document.querySelector<HTMLButtonElement>(".offer button.primary")?.click(),
        "/": () => document.querySelector<HTMLInputElement>('input[type="search"]')?.focus(),
        "?": () => setHelp(true),
        g: () => (g = true),
      };
      const f = act[k];
      if (f) {
        e.preventDefault();
        f();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  return (
    <>
      <button class="btn ghost small" type="button" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" onClick={() => setHelp(true)}>
        ?
      </button>
      {help && (
        <Modal title="Keyboard shortcuts" onClose={() => setHelp(false)}>
          <dl class="shortcuts">
            {SHORTCUTS.map(([k, d]) => (
              <>
                <dt><kbd>{k}</kbd></dt>
                <dd>{d}</dd>
              </>
            ))}
          </dl>
          <div class="modal-foot">
            <button class="btn primary" type="button" onClick={() => setHelp(false)}>Done</button>
          </div>
        </Modal>
      )}
    </>
  );
}
