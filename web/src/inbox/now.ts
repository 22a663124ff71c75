// A clock that re-renders its component every `ms` (waiting times, countdowns).
import { useEffect, useState } from "preact/hooks";

export function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms]);
  return now;
}
