// The bearer token and the calls to the reporting API.
//
// The token arrives in the address's fragment (`/#token=…`), which browsers never send to a
// server, and leaves the address bar at once; it is kept in sessionStorage: this tab only, gone
// when it closes.

const KEY = "coulisse.reporting.token";

export class TokenRefused extends Error {
  constructor(status, detail) {
    super(detail || `the token was refused (${status})`);
    this.status = status;
  }
}

export class ApiError extends Error {
  constructor(path, status, detail) {
    super(`${path}: ${status}${detail ? ` — ${detail}` : ""}`);
    this.path = path;
    this.status = status;
  }
}

/** The token of the fragment, if any (then removed from the address), else the stored one. */
export function takeToken() {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const given = fragment.get("token");
  if (given) {
    sessionStorage.setItem(KEY, given.trim());
    fragment.delete("token");
    const rest = fragment.toString();
    const address = window.location.pathname + window.location.search + (rest ? `#${rest}` : "");
    window.history.replaceState(null, "", address);
  }
  return token();
}

export function token() {
  return sessionStorage.getItem(KEY);
}

export function keepToken(value) {
  sessionStorage.setItem(KEY, value.trim());
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

export function authorization() {
  return { Authorization: `Bearer ${token()}` };
}

async function problemDetail(response) {
  try {
    const problem = await response.json();
    return problem.detail || problem.title || "";
  } catch {
    return response.statusText;
  }
}

/** GET a path of this service as JSON, with the token. */
export async function getJson(path) {
  const response = await fetch(path, {
    headers: { ...authorization(), Accept: "application/json" },
    cache: "no-store",
  });
  if (response.status === 401 || response.status === 403) {
    throw new TokenRefused(response.status, await problemDetail(response));
  }
  if (!response.ok) {
    throw new ApiError(path, response.status, await problemDetail(response));
  }
  return response.json();
}
