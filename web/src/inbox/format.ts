// How conversations read in lists and headers.
import type { Conversation, Me, Member } from "../types";

export interface Person {
  id: string;
  name: string;
}

/** Assignees with names, whichever shape the server sends (ids, or {id, name}). */
export function assignees(c: Conversation, me: Me | null, members?: Member[]): Person[] {
  return c.assignees.map((a, i) => {
    const id = typeof a === "string" ? a : a.id;
    let name = typeof a === "string" ? c.assignee_details?.find((d) => d.id === a)?.name ?? c.assignee_details?.[i]?.name : a.name;
    if (me && id === me.id) name = "You";
    if (!name) name = members?.find((m) => m.id === id)?.name;
    return { id, name: name || "Agent" };
  });
}

export function customerName(c: Pick<Conversation, "contact_name" | "contact_phone">): string {
  return c.contact_name?.trim() || formatPhone(c.contact_phone);
}

/** +14155550123 -> +1 415 555 0123 (NANP); other numbers as given. */
export function formatPhone(p: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(p);
  return m ? `+1 ${m[1]} ${m[2]} ${m[3]}` : p;
}

export const STATUS_LABEL: Record<string, string> = {
  outbound: "Outbound",
  new: "New",
  missed: "Missed",
  active: "Active",
  wrap_up: "Wrap-up",
  closed: "Closed",
};

export function nextActionLabel(c: Conversation): string {
  if (c.status === "closed") return c.close_reason ? `Closed: ${c.close_reason.replace("_", " ")}` : "Closed";
  if (c.status === "wrap_up") return "Wrap-up";
  if (c.next_action === "agent") return c.status === "new" || c.status === "missed" ? "Needs an agent" : "Needs reply";
  if (c.next_action === "customer") return "Waiting on customer";
  return "";
}
