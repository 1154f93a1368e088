// Package replica runs statkit's record log on NATS JetStream, so that several statkit
// processes (replicas) apply the same ordered records and hold the same state.
package replica
