/**
 * `ProposalType` (RFC 9420 §12.1, §17.4), apart from the proposals
 * themselves (`proposal.ts`) so that `capabilities.ts` can name the default
 * types without importing what imports it.
 *
 * @module
 */

/** `ProposalType` (§12.1, §17.4): a closed enum here. */
export const ProposalType = {
  add: 1,
  update: 2,
  remove: 3,
  psk: 4,
  reinit: 5,
  externalInit: 6,
  groupContextExtensions: 7,
} as const;
/** A known proposal type value. */
export type ProposalType = typeof ProposalType[keyof typeof ProposalType];
