// Package replica runs statkit's record log on NATS JetStream, so that several statkit
// processes (replicas) apply the same ordered records and hold the same state (issue 17,
// DESIGN.md §7; docs/replication.md is the operator's view).
//
// # Layout
//
// Connect opens (creating when missing) a stream named Options.Stream ("statkit") holding
// every record as one message on "<stream>.<tenant token>.<kind token>" — file storage,
// replicas min(3, cluster size), no limits, a duplicate window of 10 minutes — and four
// buckets: <stream>_snapshots (object store), <stream>_leases, <stream>_trim and
// <stream>_replicas (key-value). TenantToken and KindToken make subject tokens of a tenant
// id and a record kind (the record's first byte).
//
// # Groups and the Log
//
// A Group is the set of tenants some replicas serve together (statkit serve --tenants).
// Client.Log returns the group's Log, the server's ordered durable log (ARCH.md §2):
//
//   - Append / AppendTenant store a record under a tenant (the group's home tenant, its
//     first, for records of the group as a whole) and return its stream sequence once the
//     stream's quorum holds it. The id is the JetStream message id, scoped to the tenant:
//     a repeat within the duplicate window, from any replica, returns the original's
//     sequence and dup = true. Without an id a unique one is made, so Append's own retries
//     (timeouts, leader changes, reconnections: it retries until its context ends) never
//     store a record twice.
//   - AppendAfter appends only if the last record of the same kind under the home tenant
//     is the one expected (JetStream's expected last subject sequence), else ErrConflict:
//     the clock holder's ticks form one chain across lease takeovers.
//   - Follow delivers every record of the group's tenants after a sequence, in stream
//     order, with one ordered consumer filtering the group's subjects; it rides out lost
//     connections and leader changes by starting again after the last record applied.
//   - WriteSnapshot stores "<group>/<seq>" in the object store, keeps the newest
//     Options.KeepSnapshots and trims the group's tenants' records up to the oldest kept
//     (recording each tenant's trim floor first); LoadSnapshot offers them newest first,
//     falling back to older ones. A Follow or LoadSnapshot that would need trimmed records
//     fails with ErrTrimmed instead of skipping them.
//   - Status and Lag tell how far behind the follower is (records, seconds, caught up).
//
// # Lease and members
//
// Client.Lease returns a named lease (one per group: its clock and sources), held by one
// process at a time, renewed with revision-checked updates and taken over by another
// candidate within about 1.25 × Options.LeaseTTL when its holder dies. Client.Announce
// publishes a replica (its group, tenants, URL, position) in <stream>_replicas, where
// Client.Members and ReplicasOf find the replicas of a tenant.
//
// # Servers
//
// StartEmbedded runs a single-node JetStream server in process (statkit serve --nats
// embedded); package natstest runs a multi-node cluster in process for tests.
package replica
