// The live feed: every event reporting reads, newest first, from `GET /v1/events/stream`, and
// how many arrive each minute.
//
// The feed starts at the stream's current position when the page opens (no replay of history)
// and reconnects with `Last-Event-ID`, so a dropped connection loses nothing. Events per minute
// count what the page received, by the minute it received them, over the last 30 minutes.

import { authorization } from "./api.js";
import { follow } from "./sse.js";

const SHOWN = 100;
export const MINUTES = 30;

function minuteOf(date) {
  return Math.floor(date.getTime() / 60000);
}

export class EventRate {
  constructor(now = () => new Date()) {
    this.now = now;
    this.counts = new Map(); // minute since the epoch → events
  }

  add() {
    const minute = minuteOf(this.now());
    this.counts.set(minute, (this.counts.get(minute) || 0) + 1);
  }

  /** `MINUTES` labels (HH:MM) and counts, the current minute last. */
  series() {
    const current = minuteOf(this.now());
    const labels = [];
    const counts = [];
    for (let minute = current - MINUTES + 1; minute <= current; minute += 1) {
      const at = new Date(minute * 60000);
      labels.push(at.toTimeString().slice(0, 5));
      counts.push(this.counts.get(minute) || 0);
    }
    for (const minute of this.counts.keys()) {
      if (minute <= current - MINUTES) {
        this.counts.delete(minute);
      }
    }
    return { labels, counts };
  }
}

function item(entry, position, onCustomer) {
  const li = document.createElement("li");
  li.dataset.eventId = entry.event_id;
  li.dataset.position = position ?? "";
  const time = document.createElement("time");
  time.dateTime = entry.time;
  time.textContent = new Date(entry.time).toLocaleTimeString();
  const type = document.createElement("code");
  type.textContent = entry.type;
  const summary = document.createElement("span");
  summary.className = "summary";
  summary.textContent = entry.summary;
  li.append(time, type, summary);
  if (entry.customer_id) {
    const link = document.createElement("a");
    link.href = `/v1/customers/${entry.customer_id}/360`;
    link.textContent = "360°";
    link.title = `customer ${entry.customer_id}`;
    link.addEventListener("click", (click) => {
      click.preventDefault();
      onCustomer(entry.customer_id);
    });
    li.append(link);
  }
  return li;
}

/** Follows the stream into `list`; `onEvent` is called for each entry. */
export function startFeed({ list, state, signal, onEvent, onRefused, onCustomer }) {
  follow("/v1/events/stream", {
    signal,
    headers: authorization,
    onEvent(event) {
      let entry;
      try {
        entry = JSON.parse(event.data);
      } catch {
        return; // not a timeline entry: nothing to show
      }
      list.prepend(item(entry, event.id, onCustomer));
      while (list.children.length > SHOWN) {
        list.lastElementChild.remove();
      }
      onEvent(entry);
    },
    onState(current, detail) {
      state.textContent = current;
      state.dataset.state = current;
      state.title = detail ? String(detail) : "";
      if (current === "refused") {
        onRefused(detail);
      }
    },
  });
}
