// The panel that shows the list behind a tile (or a customer's 360° view): the route is called
// with the token and its answer drawn as a table; a page with `next_cursor` gets a "More" button.

import { getJson } from "./api.js";
import { grouped } from "./format.js";

const DECIMAL = /^-?\d+(\.\d+)?$/;

function cell(value) {
  const td = document.createElement("td");
  if (value === null || value === undefined) {
    td.textContent = "—";
  } else if (Array.isArray(value) && value.every((item) => typeof item !== "object")) {
    td.textContent = value.join(", ");
  } else if (typeof value === "object") {
    const pre = document.createElement("pre");
    pre.textContent = JSON.stringify(value, null, 1);
    td.append(pre);
  } else if (typeof value === "number" || DECIMAL.test(String(value))) {
    td.className = "number";
    td.textContent = grouped(value);
  } else {
    td.textContent = String(value);
  }
  return td;
}

function table(rows) {
  const columns = [];
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!columns.includes(key)) {
        columns.push(key);
      }
    }
  }
  const element = document.createElement("table");
  const head = element.createTHead().insertRow();
  for (const column of columns) {
    const th = document.createElement("th");
    th.textContent = column.replaceAll("_", " ");
    head.append(th);
  }
  const body = element.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const column of columns) {
      tr.append(cell(row[column]));
    }
  }
  return element;
}

/** The rows of an answer: a page's items, the first list found in it, or the answer itself. */
function rowsOf(answer) {
  if (Array.isArray(answer)) {
    return answer;
  }
  if (Array.isArray(answer?.items)) {
    return answer.items;
  }
  const list = Object.values(answer || {}).find(
    (value) => Array.isArray(value) && value.every((item) => item && typeof item === "object"),
  );
  return list || [answer];
}

function withCursor(href, cursor) {
  const url = new URL(href, window.location.origin);
  url.searchParams.set("cursor", cursor);
  return url.pathname + url.search;
}

export class ListPanel {
  constructor({ section, title, body, more, close, onError }) {
    Object.assign(this, { section, title, body, more, onError });
    this.next = null;
    close.addEventListener("click", () => this.hide());
    more.addEventListener("click", () => this.load(this.next, { append: true }));
  }

  hide() {
    this.section.hidden = true;
    this.body.replaceChildren();
  }

  async open(title, href) {
    this.title.textContent = title;
    this.section.hidden = false;
    this.section.dataset.href = href;
    this.body.replaceChildren();
    await this.load(href, { append: false });
    this.section.scrollIntoView({ block: "nearest" });
  }

  async load(href, { append }) {
    this.section.dataset.state = "loading";
    try {
      const answer = await getJson(href);
      const rows = rowsOf(answer);
      const next = answer?.next_cursor;
      this.next = next ? withCursor(href, next) : null;
      this.more.hidden = !this.next;
      if (rows.length === 0 && !append) {
        const empty = document.createElement("p");
        empty.textContent = "Nothing to list.";
        this.body.replaceChildren(empty);
      } else if (rows.length > 0) {
        this.body.append(table(rows));
      }
      this.section.dataset.state = "loaded";
    } catch (error) {
      this.section.dataset.state = "failed";
      this.onError(error);
    }
  }
}
