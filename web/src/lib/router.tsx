// Client-side routing on the history API. The api serves index.html for every
// non-API path, so any URL here can be reloaded or shared.
import type { ComponentChildren, JSX } from "preact";
import { createStore, useStore } from "./store";
export { match } from "./match";

export interface Location {
  path: string;
  query: URLSearchParams;
}

function current(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

export const location = createStore<Location>(current());

window.addEventListener("popstate", () => location.set(current()));

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return;
  if (opts.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  location.set(current());
}

export function useLocation(): Location {
  return useStore(location);
}

type LinkProps = Omit<JSX.HTMLAttributes<HTMLAnchorElement>, "href"> & {
  href: string;
  children?: ComponentChildren;
};

/** An <a> that navigates without a reload (modifier-clicks still open a new tab). */
export function Link({ href, onClick, ...rest }: LinkProps) {
  return (
    <a
      href={href}
      onClick={(e) => {
        if (typeof onClick === "function") onClick(e);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
      {...rest}
    />
  );
}
