// Package auth decides who may do what on a statkit server: bearer tokens from a
// tokens file with roles, stream tickets for EventSource, the Origin check and CORS,
// per-token quotas, the logging of refusals and admin actions, the redaction of error
// answers, reloadable TLS certificates and the listening defaults. It knows nothing of
// the server: runtime/server wires it (see docs/security.md for the threat model).
//
// # Tokens and roles
//
// The tokens file (ParseTokens) lists tokens by name, each given as the token itself or
// as its SHA-256, with roles: Read (the GET API, the stream, the wallboard's data, and
// its own statistics within its quota), Ingest (POST /v1/events, and Read) and Admin
// (everything: reload, closing any statistic). A request authenticates with
// "Authorization: Bearer TOKEN"; the token is hashed and compared with every entry in
// constant time. Errors in the file are positioned (file:line:col) and never show a
// token. Guard.Reload reads the file again (SIGHUP): a file with errors leaves the
// tokens in use; a token removed, or whose secret or roles changed, loses its streams
// and its unused stream tickets at once.
//
// # Requests
//
// Guard.Wrap is the outer middleware: it sets nosniff and no-referrer, answers CORS
// preflights for the listed origins, refuses (403) a state-changing request whose
// Origin is neither the server's own nor listed (or that a browser marks cross-site
// without an Origin), and authenticates: a bad token is 401 at once; a request without
// credentials goes on without an Identity. Guard.Require(role) then answers 401 (with
// WWW-Authenticate: Bearer) without an identity and 403 without the role. Every 401 and
// 403 is logged at warning level with the token's name (never the token), method, path
// and client address; every request needing Admin is logged at info level with its
// status. Without a tokens file there is no authentication: every request is the
// anonymous identity with every role (the Origin check still applies).
//
// # Streams
//
// EventSource cannot send headers: see ticket.go. Guard.LimitStreams counts a stream
// against its token's quota and ends it when the token is revoked.
//
// # Quotas
//
// Per token (Options.Quota, overridden per token in the file): open statistics (the
// server counts them, owner by owner, and answers 429 with Guard.WriteQuota) and
// streams (Guard.LimitStreams: 429 with {"quota":"streams","limit":N}); without tokens,
// streams per client address and statistics for all anonymous clients together. Ids a
// client sends are bounded by CheckID (MaxIDBytes).
//
// # Errors
//
// RedactFileErrors prepares positioned errors about a file for an answer: the file by
// its base name, quoted fragments shown only when they look like names of at most
// MaxShown bytes. NewErrorID gives internal errors an id the answer and the log share.
package auth
