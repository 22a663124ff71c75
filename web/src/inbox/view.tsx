// The inbox screen: the conversation list beside the open conversation.
import { INBOX_LABEL } from "./labels";
import type { Inbox } from "../types";
import { ConversationPane } from "./conversation";
import { ConversationList } from "./list";

export function InboxView(props: { inbox: Inbox; teamId?: string; conversationId?: string }) {
  const title = INBOX_LABEL[props.inbox] ?? props.inbox;
  return (
    <div class={`inbox${props.conversationId ? " has-conv" : ""}`}>
      <ConversationList inbox={props.inbox} teamId={props.teamId} selectedId={props.conversationId} title={title} />
      {props.conversationId ? (
        <ConversationPane id={props.conversationId} />
      ) : (
        <section class="conv-pane empty-pane" aria-label="No conversation open">
          <div class="empty-art" aria-hidden="true">💬</div>
          <p class="muted">Select a conversation to read and reply.</p>
        </section>
      )}
    </div>
  );
}
