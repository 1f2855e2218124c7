// Server-Sent Events read with fetch: EventSource cannot send an Authorization header.
//
// `EventParser` follows the HTML standard's event-stream format (lines ending in LF, CR or CRLF,
// possibly cut anywhere between two chunks; comments; `data` on several lines; `id` kept from one
// event to the next; `retry`). `follow` reconnects after the server's `retry` hint with the last
// id in `Last-Event-ID`, so the service resumes after the last event the page received.

export class EventParser {
  constructor(onEvent, onRetry = () => {}) {
    this.onEvent = onEvent;
    this.onRetry = onRetry;
    this.buffer = "";
    this.skipLineFeed = false; // a chunk ended on CR: an LF opening the next one ends no line
    this.data = [];
    this.type = "";
    this.lastEventId = null;
    this.pendingId = null;
  }

  push(text) {
    if (this.skipLineFeed && text.startsWith("\n")) {
      text = text.slice(1);
    }
    this.skipLineFeed = false;
    this.buffer += text;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop();
    if (this.buffer === "" && text.endsWith("\r")) {
      this.skipLineFeed = true;
    }
    for (const line of lines) {
      this.line(line);
    }
  }

  line(line) {
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.startsWith(":")) {
      return; // a comment: the service's heartbeat
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) {
      value = value.slice(1);
    }
    if (field === "data") {
      this.data.push(value);
    } else if (field === "event") {
      this.type = value;
    } else if (field === "id" && !value.includes("\0")) {
      this.pendingId = value;
    } else if (field === "retry" && /^\d+$/.test(value)) {
      this.onRetry(Number(value));
    }
  }

  dispatch() {
    if (this.pendingId !== null) {
      this.lastEventId = this.pendingId;
    }
    const data = this.data.join("\n");
    const type = this.type || "message";
    const hasData = this.data.length > 0;
    this.data = [];
    this.type = "";
    if (hasData) {
      this.onEvent({ id: this.lastEventId, type, data });
    }
  }
}

function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Reads the stream at `url` until `signal` aborts, reconnecting whenever it ends or fails.
 *
 * options: `headers()` (the token, read at each connection), `onEvent({id, type, data})`,
 * `onState(state, detail)` with state `connecting`, `live`, `reconnecting` or `refused` (a 401
 * or 403: no retry), `lastEventId` to resume after, `retryMs` until the server gives its hint,
 * `fetch` (the browser's by default).
 */
export async function follow(url, options) {
  const { signal, onEvent, onState = () => {} } = options;
  const fetchImpl = options.fetch || window.fetch.bind(window);
  let lastEventId = options.lastEventId ?? null;
  let retryMs = options.retryMs ?? 3000;
  while (!signal?.aborted) {
    let wait = retryMs;
    let detail = "the stream ended";
    try {
      onState("connecting");
      const headers = { ...options.headers(), Accept: "text/event-stream" };
      if (lastEventId !== null) {
        headers["Last-Event-ID"] = lastEventId;
      }
      const response = await fetchImpl(url, { headers, signal, cache: "no-store" });
      if (response.status === 401 || response.status === 403) {
        onState("refused", response.status);
        return;
      }
      const type = response.headers.get("content-type") || "";
      if (!response.ok || !type.startsWith("text/event-stream")) {
        const after = Number(response.headers.get("retry-after"));
        if (after > 0) {
          wait = after * 1000;
        }
        throw new Error(`${url}: ${response.status}`);
      }
      onState("live");
      const parser = new EventParser(
        (event) => {
          lastEventId = event.id ?? lastEventId;
          onEvent(event);
        },
        (ms) => {
          retryMs = ms;
        },
      );
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          break;
        }
        parser.push(value);
      }
      // An id given without data still says where the stream is.
      lastEventId = parser.lastEventId ?? lastEventId;
      wait = retryMs;
    } catch (error) {
      if (signal?.aborted) {
        return;
      }
      detail = String(error.message || error);
    }
    if (signal?.aborted) {
      return;
    }
    onState("reconnecting", detail);
    await pause(wait, signal);
  }
}
