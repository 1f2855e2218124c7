// Figures as the API gives them: amounts are decimal strings and stay strings (no float on
// the way), with thousands grouped for reading.

export function grouped(value) {
  if (value === null || value === undefined) {
    return "—";
  }
  const text = String(value);
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  if (!match) {
    return text;
  }
  const [, sign, whole, fraction = ""] = match;
  return sign + whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + fraction;
}

/** A decimal string as a number, for a chart's scale only (never for a figure shown). */
export function plotted(value) {
  if (value === null || value === undefined) {
    return null;
  }
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}
