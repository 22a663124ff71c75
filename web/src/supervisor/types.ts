// Types of the team, people, metrics and user answers (api/openapi.yaml).

// The team's shape (and its business hours) is the shell's: one definition.
export type { Interval, Day, BusinessHours, Team } from '../types';

export interface Template {
  id: string;
  team_id: string;
  name: string;
  body: string;
  variables: string[];
  created_at: string;
  updated_at: string;
}

export interface WrapUpReasons {
  wrap_up_reasons: string[];
  default_wrap_up_reason: string;
}

export type PresenceState = 'available' | 'away' | 'rona' | 'offline';

export interface Member {
  id: string;
  name: string;
  email: string;
  role: 'agent' | 'supervisor' | string;
  presence: { state: PresenceState; since?: string | null; changed_at?: string | null };
  open_conversations: number;
  capacity: number;
}

export interface Metrics {
  team_id: string;
  from: string;
  to: string;
  time_zone: string;
  conversations: number;
  conversations_per_day: Array<{ date: string; count: number }>;
  avg_first_response_seconds: number | null;
  first_responses: number;
  avg_response_seconds: number | null;
  responses: number;
  closed: number;
  resolved: number;
  resolution_rate: number | null;
  missed: number;
}

export interface AdminUser {
  id: string;
  name: string;
  email: string;
  role: 'admin' | 'agent';
  disabled?: boolean;
  team_ids: string[];
  set_password_url?: string;
  set_password_expires_at?: string;
}

/** An event of GET /v1/events (the fields the supervisor screens read). */
export interface StreamEvent {
  id: number;
  kind: string;
  conversation_id?: string | null;
  team_id?: string | null;
  text?: string;
  created_at?: string;
  data?: Record<string, unknown>;
}

/** Subscribes to the event stream; returns the unsubscribe function. */
export type Subscribe = (fn: (e: StreamEvent) => void) => () => void;
