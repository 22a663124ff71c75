// Modal dialogs on the native <dialog> element: focus moves in and is trapped, Escape
// closes, focus returns to the opener, and the name comes from the title.
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";

export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; role?: "dialog" | "alertdialog"; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    const opener = document.activeElement as HTMLElement | null;
    if (d && !d.open) d.showModal();
    return () => {
      d?.close();
      opener?.focus?.();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={`modal${props.wide ? " wide" : ""}`}
      role={props.role === "alertdialog" ? "alertdialog" : undefined}
      aria-labelledby={id}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <header class="modal-head">
        <h2 id={id}>{props.title}</h2>
        <button type="button" class="btn ghost small" aria-label="Close" onClick={props.onClose}>
          ✕
        </button>
      </header>
      {props.children}
    </dialog>
  );
}
