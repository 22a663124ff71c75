// The inbox screen: conversation list beside the open conversation.
import type { Inbox } from "../types";

export function InboxView(props: { inbox: Inbox; teamId?: string; conversationId?: string }) {
  return (
    <section class="page">
      <h1>{props.inbox}</h1>
      <p class="muted">{props.conversationId ?? "Select a conversation."}</p>
    </section>
  );
}
