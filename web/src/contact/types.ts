// Types of the /v1 answers the contact, search and supervisor screens read
// (api/openapi.yaml is the source of truth; only the fields these screens use).

import type { Conversation } from '../types';
export type { Conversation, ConversationPage, Message } from '../types';

export interface Contact {
  id: string;
  phone: string;
  name: string;
  ref: string;
  opted_out: boolean;
  blocked: boolean;
  consent_changed_at: string | null;
  consent_reason: string | null;
  default_visible_to: string[];
  default_assignees: string[];
  created_at: string;
}

export interface ContactDetail extends Contact {
  recent_conversations: Conversation[];
}

export interface ChatHandoff {
  id: string;
  team_id: string;
  contact_id: string;
  name: string;
  chat_ref: string;
  transcript: string;
  consent_by: string | null;
  consent_at: string;
  created_at: string;
}

export interface ChatHandoffWithContact extends ChatHandoff {
  contact: Contact;
}

export type LogKind = 'note' | 'call' | 'email' | 'meeting' | 'other';

export interface LogEntry {
  id: string;
  team_id: string;
  contact_id: string;
  author_id: string | null;
  kind: LogKind;
  body: string;
  created_at: string;
}

export interface HistoryItem {
  type: 'conversation' | 'chat_handoff' | 'log';
  id: string;
  at: string;
  conversation?: Conversation;
  chat_handoff?: ChatHandoff;
  log?: LogEntry;
}

export interface HistoryPage {
  items: HistoryItem[];
  next_cursor?: string;
}

export interface TeamRef {
  id: string;
  name: string;
  role: 'agent' | 'supervisor';
}

export interface MeLike {
  id: string;
  name: string;
  role: 'admin' | 'agent';
  team_ids: string[];
  teams?: TeamRef[];
}
