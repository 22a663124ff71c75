import type { Inbox } from "../types";

export const INBOX_LABEL: Record<Inbox, string> = {
  new: "New",
  missed: "Missed",
  mine: "Mine",
  team: "Team",
  other: "Other",
  archived: "Archived",
};
