// Sign-in screen (also what a 401 falls back to).
import { useState } from "preact/hooks";
import { ApiError, errorText } from "./api";
import { signIn } from "./session";

export function SignIn() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  async function submit(e: Event) {
    e.preventDefault();
    // Read the form itself: password managers may fill it without input events.
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const em = String(form.get("email") ?? email).trim();
    const pw = String(form.get("password") ?? password);
    setBusy(true);
    setError("");
    try {
      await signIn(em, pw);
    } catch (err) {
      if (err instanceof ApiError && err.status === 429 && err.retryAfter) {
        setError(`Too many attempts. Try again in ${err.retryAfter} seconds.`);
      } else if (err instanceof ApiError && err.status === 401) {
        setError("Wrong email or password.");
      } else setError(errorText(err));
      setBusy(false);
    }
  }

  return (
    <main class="auth">
      <form class="card auth-card" onSubmit={submit} aria-labelledby="signin-title">
        <div class="brand brand-lg" aria-hidden="true">
          <span class="brand-mark">t</span> textdesk
        </div>
        <h1 id="signin-title">Sign in</h1>
        <label class="field">
          <span>Email</span>
          <input type="email" name="email" autoComplete="username" required autoFocus
            value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span>Password</span>
          <input type="password" name="password" autoComplete="current-password" required
            value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button class="btn primary block" type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
