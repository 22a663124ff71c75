// Asking before a destructive action, in the console's own modal (lib/dialog) rather
// than window.confirm: styled, named, and focus returns to the button that asked.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { Modal } from '../lib/dialog';

interface Ask {
  title: string;
  body: string;
  confirm: string;
  resolve: (ok: boolean) => void;
}

export function useConfirm(): [JSX.Element | null, (title: string, body: string, confirm: string) => Promise<boolean>] {
  const [ask, setAsk] = useState<Ask | null>(null);
  const open = (title: string, body: string, confirm: string) => new Promise<boolean>((resolve) => setAsk({ title, body, confirm, resolve }));
  const done = (ok: boolean) => {
    ask?.resolve(ok);
    setAsk(null);
  };
  const el = ask ? (
    <Modal title={ask.title} role="alertdialog" onClose={() => done(false)}>
      <p>{ask.body}</p>
      <div class="modal-foot">
        <button type="button" class="btn" onClick={() => done(false)} autoFocus>
          Cancel
        </button>
        <button type="button" class="btn danger solid" onClick={() => done(true)}>
          {ask.confirm}
        </button>
      </div>
    </Modal>
  ) : null;
  return [el, open];
}
