// Port: the keys agents sign their pushes with.

/** Keys of the agents allowed to push. */
export interface AgentKeyring {
  /** The agent's current keys (more than one during a rotation); none if unknown. */
  keysOf(agentId: string): Promise<readonly string[]>;
}
