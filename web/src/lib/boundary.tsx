// Keeps one screen's bug from blanking the whole console: the frame (sidebar, offers,
// presence) stays usable and the screen says what happened.
import { Component, type ComponentChildren } from "preact";

export class ErrorBoundary extends Component<{ children: ComponentChildren; resetKey: string }, { error: string }> {
  override state = { error: "" };
  override componentDidCatch(err: unknown) {
    console.error("screen failed", err);
    this.setState({ error: err instanceof Error ? err.message : String(err) });
  }
  override componentDidUpdate(prev: { resetKey: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: "" });
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <section class="page" role="alert">
        <h1>This screen hit a problem</h1>
        <p class="muted">{this.state.error}</p>
        <button class="btn" type="button" onClick={() => window.location.reload()}>Reload</button>
      </section>
    );
  }
}
