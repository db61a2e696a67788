/**
 * Which storage records belong to one client (for `MLS.deleteIdentity`).
 * The library's own records (`records.ts`) name the client at a fixed
 * place; records that other modules keep in the same storage for a client
 * end with its client id as their last segment, e.g. the delivery client's
 * `delivery/cursor/<clientId>`.
 *
 * @module
 */

/**
 * Whether the record at `key` belongs to `clientId`:
 * `identity/<c>`, `signer/<c>`, `keypackage/<c>/…`, `group/<g>/<c>`,
 * `pending/<g>/<c>`, `ratchets/<g>/<c>` and `ratchets/<g>/<c>/…`, and any
 * other key whose last segment is `<c>` (but no external PSK, `psk/…`).
 */
export function belongsToClient(key: string, clientId: string): boolean {
  const s = key.split("/");
  switch (s[0]) {
    case "identity":
    case "signer":
      return s.length === 2 && s[1] === clientId;
    case "keypackage":
      return s.length === 3 && s[1] === clientId;
    case "group":
    case "pending":
      return s.length === 3 && s[2] === clientId;
    case "ratchets":
      return s.length >= 3 && s[2] === clientId;
    case "psk":
      return false; // shared by the storage's clients, by PSK id

    default:
      return s.length >= 2 && s[s.length - 1] === clientId;
  }
}
