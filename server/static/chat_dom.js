// Small DOM helpers of the chat page.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** An element with a class and children (strings become text). */
export function el(tag, cls, ...children) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  for (const c of children) e.append(c);
  return e;
}

const TIME = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
});
const DAY = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
});

/** A `<time>` element: the time of day, with the date if not today. */
export function timeEl(ms) {
  const d = new Date(ms);
  const t = el("time");
  t.dateTime = d.toISOString();
  t.title = d.toLocaleString();
  const today = new Date().toDateString() === d.toDateString();
  t.textContent = today ? TIME.format(d) : `${DAY.format(d)} ${TIME.format(d)}`;
  return t;
}

/** Copies `text`; resolves with whether it worked. */
export async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
