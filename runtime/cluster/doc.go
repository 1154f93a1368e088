// Package cluster runs a statkit server as one replica of a group of tenants on NATS
// JetStream (issue 17; docs/replication.md is the operator's view). It wires
// runtime/replica (the stream, the lease, the snapshot store) into runtime/server:
//
//	node, err := cluster.Start(ctx, cluster.Options{NATS: "nats://a:4222,nats://b:4222", Tenants: tenants})
//	srv, err := server.New(server.Options{Config: cfg, Log: node.Log(), HoldsClock: node.HoldsClock})
//	go node.Run(ctx, runSources) // the clock's lease; runSources runs while this replica holds it
//	err = srv.Serve(ctx, ln)
//	node.Close()
//
// # The log
//
// Node.Log is the server's Log over the group's subjects of the stream, and a
// server.Replicated: records of the group as a whole (ticks, reloads, settings, opens,
// closes) go under the group's home tenant, batch records under their tenant
// (AppendTenant). What a request attached to the record it appended comes back with the
// record (replica.Log.AppendLocal / FollowLocal). A tick is appended only by the holder of
// the group's lease, chained to the last tick in the stream (replica.Log.AppendAfterID)
// and named "t:<replica id>:<n>": a holder that lost the clock cannot append one after its
// successor's, and the stream says who appended each tick. Snapshots are written by every
// replica to its local cache (Options.DataDir) and by the lease holder to the object store,
// which trims the stream below the oldest snapshot it keeps — never past a record a live
// replica of the group has not applied yet. A replica starting restores the newest usable
// snapshot of the two and catches up from the stream.
//
// # The node
//
// Start connects (starting an in-process JetStream server for "embedded"), claims the
// group's tenants (refusing a group that overlaps another: replica.Log.Claim) and
// announces the replica in the replicas bucket. Run campaigns for the lease; while it holds
// it, HoldsClock is true and the lead function runs (the inputs: sources, the demo feed).
// The replica's status — lag in records and seconds, who holds the lease — is checked
// every half second for /healthz and /metrics.
package cluster
