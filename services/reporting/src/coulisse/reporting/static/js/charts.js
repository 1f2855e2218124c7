// The charts, drawn by Chart.js (the vendored UMD build sets `window.Chart`).
//
// - Aged receivables: one bar per bucket (and one for disputed amounts), its height the total
//   of the report; stacked by the five customers owing the most on the report's first page
//   (100 customers), the rest as "others".
// - DSO trend: count-back and simple DSO at each of the last 12 month ends, and on the date.
// - Refund lead time: how many refunded requests took how long, p50 and p90 in the caption.
// - Events per minute: what the live feed received, by minute (see feed.js).

import { grouped, plotted } from "./format.js";

const { Chart } = window;
Chart.defaults.animation = false; // drawn at once: a refresh every minute needs no motion
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.font.family = "system-ui, sans-serif";

const PALETTE = ["#1f3a5f", "#3b7dd8", "#5fb3a1", "#e0a431", "#c8553d", "#8e6bbf", "#9aa5b1"];
const TOP_CUSTOMERS = 5;
const LEAD_TIME_BINS = [
  [0, 2, "< 2 d"],
  [2, 7, "2–7 d"],
  [7, 14, "7–14 d"],
  [14, 30, "14–30 d"],
  [30, 60, "30–60 d"],
  [60, Infinity, "60 d +"],
];

function money(context) {
  return `${context.dataset.label}: ${grouped(context.raw?.toFixed?.(2) ?? context.raw)}`;
}

export function agedData(report) {
  const labels = [...report.buckets.map((b) => b.label), "disputed"];
  const amountsOf = (row) => [
    ...report.buckets.map((b) => plotted(row.buckets.find((a) => a.key === b.key)?.amount) || 0),
    plotted(row.disputed) || 0,
  ];
  const top = [...report.items]
    .sort((a, b) => plotted(b.receivables) - plotted(a.receivables))
    .slice(0, TOP_CUSTOMERS);
  const totals = amountsOf(report.total);
  const datasets = top.map((row, index) => ({
    label: row.account_number || row.customer_id.slice(0, 8),
    data: amountsOf(row),
    backgroundColor: PALETTE[index],
  }));
  const others = totals.map((total, i) => total - datasets.reduce((s, d) => s + d.data[i], 0));
  datasets.push({
    label: "others",
    data: others.map((value) => Math.max(0, Math.round(value * 100) / 100)),
    backgroundColor: PALETTE[PALETTE.length - 1],
  });
  return { labels, datasets };
}

export function dsoData(report) {
  // The month ends, then the report's own date when it is not one of them.
  const points = [...report.trend];
  if (points.at(-1)?.month_end !== report.as_of) {
    points.push({ month_end: report.as_of, ...report.total });
  }
  return {
    labels: points.map((point) => point.month_end),
    datasets: [
      {
        label: "count-back",
        data: points.map((point) => plotted(point.count_back_days)),
        borderColor: PALETTE[0],
        backgroundColor: PALETTE[0],
      },
      {
        label: `simple (${report.days} d of sales)`,
        data: points.map((point) => plotted(point.simple_days)),
        borderColor: PALETTE[2],
        backgroundColor: PALETTE[2],
        spanGaps: true,
      },
    ],
  };
}

export function leadTimeData(report) {
  const counts = LEAD_TIME_BINS.map(() => 0);
  for (const refunded of report.lead_times) {
    const days = plotted(refunded.days);
    const bin = LEAD_TIME_BINS.findIndex(([from, to]) => days >= from && days < to);
    counts[bin < 0 ? 0 : bin] += 1;
  }
  return {
    labels: LEAD_TIME_BINS.map(([, , label]) => label),
    datasets: [{ label: "refunded requests", data: counts, backgroundColor: PALETTE[1] }],
  };
}

export class Charts {
  constructor({ aged, dso, refunds, rate, captions }) {
    this.canvases = { aged, dso, refunds, rate };
    this.captions = captions;
    this.charts = {};
  }

  draw(name, type, data, options = {}) {
    const chart = this.charts[name];
    if (chart && chart.config.type === type) {
      chart.data.labels = data.labels;
      chart.data.datasets = data.datasets;
      chart.update("none");
      return;
    }
    chart?.destroy();
    this.charts[name] = new Chart(this.canvases[name], { type, data, options });
  }

  reports({ aged, dso, refunds }) {
    if (aged) {
      this.draw("aged", "bar", agedData(aged), {
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
        plugins: { tooltip: { callbacks: { label: money } } },
      });
      const difference = plotted(aged.books.difference) === 0
        ? "the books agree"
        : `the books differ by ${grouped(aged.books.difference)}`;
      this.captions.aged.textContent =
        `as of ${aged.as_of}: ${grouped(aged.total.receivables)} receivable, ` +
        `${grouped(aged.total.overdue)} overdue; ${difference}`;
    }
    if (dso) {
      this.draw("dso", "line", dsoData(dso), {
        scales: { y: { beginAtZero: true, title: { display: true, text: "days" } } },
      });
      this.captions.dso.textContent =
        `as of ${dso.as_of}: count-back ${grouped(dso.total.count_back_days)} d, ` +
        `simple ${grouped(dso.total.simple_days)} d`;
    }
    if (refunds) {
      this.draw("refunds", "bar", leadTimeData(refunds), {
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } },
      });
      this.captions.refunds.textContent =
        `last ${refunds.days} days: p50 ${grouped(refunds.p50_days)} d, ` +
        `p90 ${grouped(refunds.p90_days)} d; ${refunds.refunded} refunded, ` +
        `${refunds.open_count} open`;
    }
  }

  rate({ labels, counts }) {
    this.draw(
      "rate",
      "bar",
      {
        labels,
        datasets: [{ label: "events", data: counts, backgroundColor: PALETTE[1] }],
      },
      {
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } },
      },
    );
  }

  destroy() {
    for (const chart of Object.values(this.charts)) {
      chart.destroy();
    }
    this.charts = {};
  }
}
