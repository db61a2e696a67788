/**
 * What the comparison benchmark asks of each MLS implementation. Every
 * value that crosses between members is MLS wire bytes, so both sides do
 * their own encoding and decoding inside the timed operations.
 *
 * @module
 */

/** A client with a fresh key package, waiting for a Welcome. */
export interface BenchJoiner {
  /** The KeyPackage as an encoded MLSMessage. */
  readonly keyPackage: Uint8Array;
}

/** The wire output of a commit. */
export interface BenchCommit<M> {
  /** The committer's state of the new epoch. */
  member: M;
  /** The Commit as an encoded MLSMessage. */
  commit: Uint8Array;
  /** The Welcome as an encoded MLSMessage, when members were added. */
  welcome?: Uint8Array;
}

/**
 * One MLS implementation behind the operations the benchmark times. `M` is
 * a member's group state, `J` a joiner.
 */
export interface Side<M, J extends BenchJoiner> {
  /** The implementation's name as printed in the table. */
  readonly name: string;
  /** A fresh signature key pair and a key package for `name`. */
  generateKeyPackage(name: string): Promise<J>;
  /**
   * For an implementation whose client can be in a group only once (its
   * state is per client, not per member): a key package of a new client,
   * for a member that will join from a Welcome. Without it, any key
   * package can join.
   */
  freshKeyPackage?(): Promise<J>;
  /** A fresh signature key pair and a one-member group. */
  createGroup(name: string): Promise<M>;
  /**
   * Commits, adding the given key packages (encoded MLSMessages); with
   * none, an empty commit with an UpdatePath (a self-update).
   */
  commit(member: M, add: Uint8Array[]): Promise<BenchCommit<M>>;
  /** Processes another member's commit; returns the new state. */
  process(member: M, commit: Uint8Array): Promise<M>;
  /** Joins from a Welcome that carries the ratchet tree. */
  join(joiner: J, welcome: Uint8Array): Promise<M>;
  /** Encrypts application data; returns the (possibly new) state. */
  send(
    member: M,
    data: Uint8Array,
  ): Promise<{ member: M; message: Uint8Array }>;
  /** Decrypts an application message. */
  receive(
    member: M,
    message: Uint8Array,
  ): Promise<{ member: M; data: Uint8Array }>;
  /** `MLS-Exporter(label, context, 32)`. */
  exportSecret(
    member: M,
    label: string,
    context: Uint8Array,
  ): Promise<Uint8Array>;
  /** The member's full state as bytes. */
  serialize(member: M): Uint8Array;
  /** Loads a state written by {@link Side.serialize}. */
  load(bytes: Uint8Array): Promise<M>;
  /**
   * A state that can commit again from the same epoch: implementations
   * whose secret tree is consumed in place return a copy, so repeated
   * commits from one epoch do the same work.
   */
  fork(member: M): M;
  /** The member's leaf index. */
  leafIndex(member: M): number;
  /** The member's epoch. */
  epoch(member: M): bigint;
}
