// Shapes of the /v1 API the console reads (api/openapi.yaml is the source of truth;
// fields added in December 2026 are optional here, so an older server still renders).

export type Role = "admin" | "agent";
export type TeamRole = "agent" | "supervisor";
export type PresenceState = "available" | "away" | "rona" | "offline";

export interface Presence {
  state: PresenceState;
  changed_at?: string | null;
  since?: string | null;
}

export interface MeTeam {
  id: string;
  name: string;
  role: TeamRole;
}

export interface Me {
  id: string;
  name: string;
  email: string;
  role: Role;
  team_ids: string[];
  presence: Presence;
  csrf_token?: string;
  teams?: MeTeam[];
}

export interface Offer {
  conversation_id: string;
  kind: "route" | "transfer" | "conference";
  team_id: string;
  queue: string;
  customer_phone: string;
  team_number: string;
  waiting_since: string;
  offered_at: string;
  expires_at: string;
}

export type ConversationStatus = "outbound" | "new" | "missed" | "active" | "wrap_up" | "closed";
export type Inbox = "new" | "missed" | "mine" | "team" | "other" | "archived";

export interface Assignee {
  id: string;
  name?: string;
}

export interface Conversation {
  id: string;
  team_id: string;
  contact_id: string;
  contact_phone: string;
  contact_name: string;
  contact_ref: string;
  team_number: string;
  status: ConversationStatus;
  next_action: "agent" | "customer" | "none";
  next_action_since: string;
  last_message_at: string | null;
  opened_at: string;
  closed_at: string | null;
  close_reason: string | null;
  wrap_up_reason: string | null;
  /** Ids today; the live branch may add names (assignee_names or objects). */
  assignees: (string | Assignee)[];
  /** The assignees in the same order, with names (live branch). */
  assignee_details?: Assignee[];
  offered_to: string | null;
  visible_to: string[];
  unread?: number;
}

export interface Media {
  url: string;
  content_type: string;
}

export interface Message {
  id: string;
  conversation_id: string;
  direction: "inbound" | "outbound" | "internal";
  kind: "text" | "auto_response" | "help" | "scheduled" | "closing" | "note" | string;
  author_id: string | null;
  author_name?: string;
  from: string;
  to: string;
  body: string;
  status: "received" | "queued" | "sending" | "sent" | "delivered" | "undelivered" | "failed" | "note";
  twilio_sid: string | null;
  segments: number;
  error_code: number | null;
  error_message: string | null;
  created_at: string;
  sent_at: string | null;
  delivered_at: string | null;
  encoding: "GSM-7" | "UCS-2" | null;
  num_media: number;
  media: Media[];
}

export interface ConversationDetail extends Conversation {
  messages: Message[];
}

export interface Page<K extends string, T> {
  next_cursor?: string;
  items: T[];
  key: K;
}

export interface ConversationPage {
  conversations: Conversation[];
  next_cursor?: string;
}

export interface MessagePage {
  messages: Message[];
  next_cursor?: string;
}

export interface ScheduledMessage {
  id: string;
  team_id: string;
  contact_id: string;
  conversation_id: string | null;
  author_id: string | null;
  body: string;
  send_at: string;
  status: "pending" | "sent" | "cancelled" | "failed";
  reason: string | null;
  message_id: string | null;
  created_at: string;
}

export interface Team {
  id: string;
  name: string;
  chat_on: boolean;
  auto_response: string;
  default_region: string;
  numbers: string[];
  offer_timeout_seconds: number;
  wrap_up_timeout_seconds: number;
  inactivity_days: number;
  capacity: number;
  auto_response_interval_hours: number;
  default_wrap_up_reason: string;
  time_zone: string;
  help_text: string;
  wrap_up_reasons: string[];
  agents_can_toggle_chat?: boolean;
  business_hours: BusinessHours;
}

export type Interval = [string, string];
export type Day = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";
export type BusinessHours = Partial<Record<Day, Interval[]>> | null;

export interface Template {
  id: string;
  name: string;
  body: string;
  [k: string]: unknown;
}

export interface Member {
  id: string;
  name: string;
  email: string;
  role: TeamRole;
  presence: Presence;
  open_conversations: number;
  capacity: number;
}

export interface InboxCounts {
  team_id: string;
  new: number;
  missed: number;
  mine: number;
  team: number;
  other: number;
  mine_unread: number;
}

export interface Preferences {
  missed_conversation_alerts: boolean;
  your_conversation_alerts: boolean;
  new_conversation_alerts: boolean;
  sound: boolean;
}

export interface ServerEvent {
  id: number;
  kind: string;
  conversation_id: string | null;
  team_id?: string | null;
  text: string;
  alert?: boolean;
  created_at: string;
  data?: Record<string, unknown>;
}
