// The Store port: everything services, the worker and the health role need from the
// database. One Kysely implementation serves SQLite and PostgreSQL; the contract suite
// in test/store runs against both.
import type { Entities, Kind } from './schema.ts';
import type { LoadBalancerGraph, Network, Subnet } from '../domain/entities.ts';
import type { ProvisioningStatus } from '../domain/enums.ts';

export type Where<K extends Kind> = Partial<{ [C in keyof Entities[K]]: Entities[K][C] | Entities[K][C][] }>;

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';

  get<K extends Kind>(kind: K, key: string | Where<K>): Promise<Entities[K] | undefined>;
  /** Rows matching `where`, in key order (the same on every database). */
  find<K extends Kind>(kind: K, where?: Where<K>): Promise<Entities[K][]>;
  count<K extends Kind>(kind: K, where?: Where<K>): Promise<number>;
  insert<K extends Kind>(kind: K, row: Entities[K]): Promise<void>;
  /** Updates the row with this key; answers whether a row matched. */
  update<K extends Kind>(kind: K, key: string | Where<K>, patch: Partial<Entities[K]>): Promise<boolean>;
  /** Updates every row matching `where`; answers how many. */
  updateWhere<K extends Kind>(kind: K, where: Where<K>, patch: Partial<Entities[K]>): Promise<number>;
  delete<K extends Kind>(kind: K, where: Where<K>): Promise<number>;

  /**
   * The load-balancer lock: a transactional test-and-set. Moves the LB from one of `from`
   * to `to` and bumps its generation; answers false (changing nothing) when it was not in `from`.
   */
  lockLoadBalancer(id: string, from: readonly ProvisioningStatus[], to: ProvisioningStatus): Promise<boolean>;
  /**
   * Serialises quota checks for one project across processes until the transaction ends:
   * ensures the project's quota row (as Octavia does) and locks it. Only inside transaction().
   */
  lockProject(projectId: string): Promise<void>;
  /** Serialises VIP allocation on one network across processes until the transaction ends. Only inside transaction(). */
  lockNetwork(networkId: string): Promise<void>;
  /** Load balancers whose desired generation has not been applied yet. */
  dirtyLoadBalancers(limit: number): Promise<{ id: string; generation: number }[]>;
  graph(loadBalancerId: string): Promise<LoadBalancerGraph | undefined>;

  networks(): Promise<Network[]>;
  subnets(): Promise<Subnet[]>;
  insertNetwork(network: Network, subnets: Subnet[]): Promise<void>;

  /** Runs `fn` in one transaction; nested calls join the outer one. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
