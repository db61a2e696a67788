// Errors in plain words, shown next to the control that caused them, with
// the library's or the service's error code one click away.

const WORDS = {
  name_taken: "That name is taken. Try another one.",
  unknown_name: "Nobody has that name. Check the spelling.",
  no_key_package:
    "They cannot be added right now: they have no key packages left. Ask them to open the chat once.",
  rate_limited: "Too many requests. Wait a moment and try again.",
  not_member: "You are no longer a member of this group.",
  unknown_group: "You are no longer a member of this group.",
  forbidden: "The server did not allow this.",
  unauthorized: "The server no longer knows this browser. Reload the page.",
  epoch_conflict: "Someone changed the group at the same moment. Try again.",
  unsupported_group_extension:
    "Their app cannot show group names, so they cannot join this group.",
  unsupported_capability:
    "Their app lacks a feature this group needs, so they cannot join it.",
  storage_failure: "This browser could not save the change. Try again.",
  server_busy: "The server is busy. Try again in a moment.",
  body_too_large: "That is too long to send.",
};

/** What went wrong, in plain words. */
export function plainWords(err) {
  if (err?.plain) return err.plain;
  const code = err?.code;
  if (code === "invalid_name") return err.message;
  if (code && WORDS[code]) return WORDS[code];
  if (err instanceof TypeError && /fetch/i.test(err.message)) {
    return "The server cannot be reached. Check your connection and try again.";
  }
  return "Something went wrong. Try again.";
}

/** An error a control reports itself (no code behind it). */
export function userError(plain) {
  const e = new Error(plain);
  e.plain = plain;
  return e;
}

/**
 * Shows `err` in `box` (clears it when `err` is undefined) and marks
 * `input` invalid: the text stays, selected, so typing replaces it.
 */
export function showError(box, err, input) {
  box.replaceChildren();
  if (input) input.removeAttribute("aria-invalid");
  if (!err) return;
  if (!err.plain) console.error(err);
  const p = document.createElement("p");
  p.style.margin = "0";
  p.textContent = plainWords(err);
  box.append(p);
  if (err.code) {
    const d = document.createElement("details");
    const s = document.createElement("summary");
    s.textContent = "Details";
    const c = document.createElement("code");
    c.textContent = `${err.name ?? "Error"} ${err.code}: ${err.message}`;
    d.append(s, c);
    box.append(d);
  }
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
    input.select?.();
  }
}
