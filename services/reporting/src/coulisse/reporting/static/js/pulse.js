// The pulse (`GET /v1/reports/pulse`) as tiles: green or red where the pulse sets a target
// (zero), neutral where the figure only informs; each tile links to the list behind it (its
// `href`), opened in the page's list panel with the token.

import { grouped } from "./format.js";

const plural = (n, word) => (n === 1 ? word : `${word}s`);
const count = (n, word) => `${n} ${plural(n, word)}`;
const days = (value) => (value === null || value === undefined ? "—" : `${grouped(value)} d`);

/** The tiles in their order: figure → label, the value shown, and a line of detail. */
export const TILES = [
  ["manual_entries", "Manual journal entries", (f) => grouped(f.count), () => ""],
  ["out_of_band_writes", "Out-of-band database writes", (f) => grouped(f.count), () => ""],
  [
    "suspense",
    "Suspended events",
    (f) => grouped(f.count),
    (f) => (f.oldest_age_days == null ? "" : `oldest ${days(f.oldest_age_days)}`),
  ],
  [
    "drift",
    "Reconciliation drift",
    (f) => grouped(f.drift),
    (f) => `${grouped(f.drifting_customers)} ${plural(f.drifting_customers, "customer")} drifting`,
  ],
  ["unresolved_requests", "Unresolved requests", (f) => grouped(f.count), () => ""],
  ["late_requests", "Late requests", (f) => grouped(f.count), () => ""],
  [
    "corrections",
    "Corrections",
    (f) => grouped(f.total),
    (f) =>
      [
        count(f.credit_notes, "credit note"),
        count(f.refunds, "refund"),
        count(f.reversals, "reversal"),
      ].join(" · "),
  ],
  [
    "refund_lead_time",
    "Refund lead time (p50)",
    (f) => days(f.p50_days),
    (f) => `p90 ${days(f.p90_days)} · ${f.refunded} refunded · ${f.open} open`,
  ],
  [
    "dso",
    "DSO (count-back)",
    (f) => days(f.count_back_days),
    (f) => `simple ${days(f.simple_days)}`,
  ],
  ["overdue", "Overdue receivables", (f) => grouped(f.amount), () => ""],
];

function tile(key, label, value, detail, figure, panel) {
  const link = document.createElement("a");
  link.className = "tile";
  link.href = figure.href;
  link.dataset.figure = key;
  link.dataset.status = figure.status || "info";
  link.title = figure.status ? `${figure.status}: the target is zero` : "informs, no target";
  const parts = [
    ["label", label],
    ["value", value],
    ["detail", detail],
  ];
  for (const [name, text] of parts) {
    const span = document.createElement("span");
    span.className = name;
    span.textContent = text;
    link.append(span);
  }
  link.addEventListener("click", (click) => {
    if (click.button === 0 && !click.ctrlKey && !click.metaKey && !click.shiftKey) {
      click.preventDefault(); // the list needs the token: shown here, not navigated to
      panel.open(label, figure.href);
    }
  });
  return link;
}

export function renderPulse(pulse, tiles, overall, panel) {
  tiles.replaceChildren(
    ...TILES.filter(([key]) => pulse[key]).map(([key, label, value, detail]) =>
      tile(key, label, value(pulse[key]), detail(pulse[key]), pulse[key], panel),
    ),
  );
  document.getElementById("pulse-title").textContent =
    `Pulse — last ${pulse.days} days, as of ${pulse.as_of}`;
  overall.hidden = false;
  overall.dataset.status = pulse.status;
  overall.textContent = pulse.status;
}
