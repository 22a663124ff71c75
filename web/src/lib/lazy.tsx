// Code-split screens: the chunk loads on first use, keeping the first screen's
// JavaScript small (the 200 KB budget is checked by web/budget_test.go).
import type { ComponentType, FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";

export function lazy<P extends object>(load: () => Promise<ComponentType<P>>): FunctionComponent<P> {
  let cached: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  return function Lazy(props: P) {
    const [C, setC] = useState<ComponentType<P> | null>(() => cached);
    const [err, setErr] = useState<string>("");
    useEffect(() => {
      if (C) return;
      pending ??= load().then((c) => (cached = c));
      pending.then(
        (c) => setC(() => c),
        (e: unknown) => setErr(String(e)),
      );
    }, []);
    if (err) return <p role="alert" class="error">Could not load this screen ({err}). Reload the page.</p>;
    if (!C) return <p class="muted loading" aria-busy="true">Loading…</p>;
    return <C {...props} />;
  };
}
