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
          <svg class="empty-art" aria-hidden="true" viewBox="0 0 48 48" width="48" height="48">
            <path d="M8 10h32a4 4 0 0 1 4 4v16a4 4 0 0 1-4 4H20l-8 7v-7H8a4 4 0 0 1-4-4V14a4 4 0 0 1 4-4z" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linejoin="round" />
          </svg>
          <p class="muted">Select a conversation to read and reply.</p>
        </section>
      )}
    </div>
  );
}
