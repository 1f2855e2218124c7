// The operations dashboard: the token, then the pulse, the charts and the live feed.
//
// Reports are read again every minute; the feed is live. `body[data-state]` says where the page
// is: `sign-in` (asking for a token), `loading`, `ready` (every report drawn once).

import { ApiError, TokenRefused, forgetToken, getJson, keepToken, takeToken } from "./api.js";
import { Charts } from "./charts.js";
import { EventRate, startFeed } from "./feed.js";
import { ListPanel } from "./lists.js";
import { renderPulse } from "./pulse.js";

const REFRESH_MS = 60_000;
const RATE_TICK_MS = 10_000;
export const REPORTS = {
  pulse: "/v1/reports/pulse?days=45",
  aged: "/v1/reports/aged-receivables?limit=100",
  dso: "/v1/reports/dso",
  refunds: "/v1/reports/refund-lead-time",
};

const byId = (id) => document.getElementById(id);
let running = null;

function showProblems(errors) {
  const box = byId("problems");
  box.replaceChildren(
    ...errors.map((error) => {
      const line = document.createElement("p");
      line.textContent = error instanceof ApiError ? error.message : String(error);
      return line;
    }),
  );
  box.hidden = errors.length === 0;
}

function stop() {
  if (running) {
    running.controller.abort();
    clearInterval(running.refresh);
    clearInterval(running.tick);
    running.charts.destroy();
    running = null;
  }
}

function signIn(reason) {
  stop();
  document.body.dataset.state = "sign-in";
  byId("board").hidden = true;
  byId("forget").hidden = true;
  byId("overall").hidden = true;
  byId("sign-in").hidden = false;
  if (reason) {
    byId("sign-in-reason").textContent = reason;
  }
  byId("token-input").focus();
}

function refused(detail) {
  forgetToken();
  signIn(`The token was refused (${detail}): give another one, of scope reports:read.`);
}

async function refresh(board) {
  const names = Object.keys(REPORTS);
  const answers = await Promise.allSettled(names.map((name) => getJson(REPORTS[name])));
  const denied = answers.find((a) => a.status === "rejected" && a.reason instanceof TokenRefused);
  if (denied) {
    refused(denied.reason.message);
    return false;
  }
  const found = {};
  const errors = [];
  answers.forEach((answer, index) => {
    if (answer.status === "fulfilled") {
      found[names[index]] = answer.value;
    } else {
      errors.push(answer.reason);
    }
  });
  if (found.pulse) {
    renderPulse(found.pulse, byId("tiles"), byId("overall"), board.panel);
  }
  board.charts.reports(found);
  showProblems(errors);
  byId("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  return true;
}

function start() {
  stop();
  byId("sign-in").hidden = true;
  byId("board").hidden = false;
  byId("forget").hidden = false;
  document.body.dataset.state = "loading";
  const controller = new AbortController();
  const rate = new EventRate();
  const charts = new Charts({
    aged: byId("chart-aged"),
    dso: byId("chart-dso"),
    refunds: byId("chart-refunds"),
    rate: byId("chart-rate"),
    captions: {
      aged: byId("aged-caption"),
      dso: byId("dso-caption"),
      refunds: byId("refund-caption"),
    },
  });
  const panel = new ListPanel({
    section: byId("list"),
    title: byId("list-title"),
    body: byId("list-body"),
    more: byId("list-more"),
    close: byId("list-close"),
    onError(error) {
      if (error instanceof TokenRefused) {
        refused(error.message);
      } else {
        showProblems([error]);
      }
    },
  });
  const board = { charts, panel };
  charts.rate(rate.series());
  running = {
    controller,
    charts,
    refresh: setInterval(() => refresh(board), REFRESH_MS),
    tick: setInterval(() => charts.rate(rate.series()), RATE_TICK_MS),
  };
  startFeed({
    list: byId("feed"),
    state: byId("feed-state"),
    signal: controller.signal,
    onEvent() {
      rate.add();
      charts.rate(rate.series());
    },
    onRefused: refused,
    onCustomer(customerId) {
      panel.open(`Customer ${customerId}`, `/v1/customers/${customerId}/360`);
    },
  });
  refresh(board).then((drawn) => {
    if (drawn) {
      document.body.dataset.state = "ready";
    }
  });
}

byId("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = byId("token-input");
  keepToken(input.value);
  input.value = "";
  start();
});

byId("forget").addEventListener("click", () => {
  forgetToken();
  signIn("The token is forgotten: give one to open the dashboard again.");
});

if (takeToken()) {
  start();
} else {
  signIn();
}
