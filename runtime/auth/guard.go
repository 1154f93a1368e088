package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultStatisticsQuota = 1000
	DefaultStreamsQuota    = 16
	DefaultTicketTTL       = time.Minute
	// MaxIDBytes bounds an id (statistic, object) a client sends.
	MaxIDBytes = 256
)

// Quota is what one client may hold at once.
type Quota struct {
	// Statistics is how many statistics a token may have open through the API (opening
	// one more answers 429).
	Statistics int
	// Streams is how many stream connections a token may have open at once.
	Streams int
}

// Options configure a Guard.
type Options struct {
	// TokensFile is the tokens file (see ParseTokens). Empty: no authentication, every
	// request is the anonymous identity with every role.
	TokensFile string
	// CORSOrigins are the origins (scheme://host[:port]) allowed besides the server's own:
	// their state-changing requests pass the Origin check, and they get CORS answers.
	CORSOrigins []string
	// Quota is the default quota of a token (zero fields: the defaults above). Without
	// tokens it applies per client address for streams, and to all anonymous clients
	// together for statistics.
	Quota Quota
	// TicketTTL is how long a stream ticket may wait to be used (default 1 minute).
	TicketTTL time.Duration
	// TicketPaths are the paths a stream ticket authenticates a GET on (default
	// /v1/stream).
	TicketPaths []string
	// Logger receives the refusals and admin actions (nil: slog.Default()).
	Logger *slog.Logger
	// Now is the clock of ticket expiry (nil: time.Now).
	Now func() time.Time
	// LocalHostOnly, for a server without tokens listening on loopback: a request whose
	// Host is not this machine (localhost, *.localhost, a loopback address) is refused,
	// so that a web page whose name was rebound to 127.0.0.1 (DNS rebinding) cannot
	// reach it. It does nothing once tokens are loaded.
	LocalHostOnly bool
}

// Guard authenticates and authorizes HTTP requests: bearer tokens or stream tickets,
// roles, the Origin check, CORS, quotas, and the logging of refusals and admin actions.
// It is safe for concurrent use; Reload swaps the tokens file atomically.
type Guard struct {
	opts    Options
	log     *slog.Logger
	origins map[string]bool

	tokens atomic.Pointer[Tokens] // nil: no authentication

	mu      sync.Mutex
	revoke  map[string]chan struct{} // per token name, closed when a reload changes it
	streams map[string]int           // open streams per quota key
	tickets map[string]ticket
}

// New builds a guard; it loads the tokens file when one is given.
func New(opts Options) (*Guard, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TicketTTL <= 0 {
		opts.TicketTTL = DefaultTicketTTL
	}
	if len(opts.TicketPaths) == 0 {
		opts.TicketPaths = []string{"/v1/stream"}
	}
	if opts.Quota.Statistics <= 0 {
		opts.Quota.Statistics = DefaultStatisticsQuota
	}
	if opts.Quota.Streams <= 0 {
		opts.Quota.Streams = DefaultStreamsQuota
	}
	g := &Guard{opts: opts, log: opts.Logger, origins: map[string]bool{},
		revoke: map[string]chan struct{}{}, streams: map[string]int{}, tickets: map[string]ticket{}}
	for _, o := range opts.CORSOrigins {
		n, err := normalizeOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("auth: CORS origin %q: %w", o, err)
		}
		g.origins[n] = true
	}
	if opts.TokensFile != "" {
		t, err := g.load()
		if err != nil {
			return nil, err
		}
		g.tokens.Store(t)
	}
	return g, nil
}

// load reads the tokens file, and warns when it holds tokens in clear and other users
// may read it.
func (g *Guard) load() (*Tokens, error) {
	t, err := LoadTokens(g.opts.TokensFile)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(g.opts.TokensFile); err == nil && st.Mode().Perm()&0o077 != 0 && t.HasPlain() {
		g.log.Warn("the tokens file holds tokens in clear and other users may read it: chmod 600 it, or give sha256 instead of token",
			"file", g.opts.TokensFile, "mode", st.Mode().Perm().String())
	}
	return t, nil
}

// Enabled reports whether requests are authenticated (a tokens file is loaded).
func (g *Guard) Enabled() bool { return g.tokens.Load() != nil }

// Reload reads the tokens file again. On error the tokens in use stay. Streams and
// tickets of a token that was removed, or whose secret or roles changed, end.
func (g *Guard) Reload() error {
	if g.opts.TokensFile == "" {
		return nil
	}
	t, err := g.load()
	if err != nil {
		return err
	}
	old := g.tokens.Swap(t)
	g.mu.Lock()
	defer g.mu.Unlock()
	for name, ch := range g.revoke {
		was, _ := old.ByName(name)
		now, ok := t.ByName(name)
		if !ok || now.digest != was.digest || now.Roles != was.Roles {
			close(ch)
			delete(g.revoke, name)
		}
	}
	for k, tk := range g.tickets {
		if now, ok := t.ByName(tk.name); !ok || now.digest != tk.digest {
			delete(g.tickets, k)
		}
	}
	g.log.Info("tokens reloaded", "tokens", t.Len())
	return nil
}

// Identity is who made a request.
type Identity struct {
	// Name is the token's name ("anonymous" without tokens).
	Name string
	// Roles are the roles granted.
	Roles Role
	// Quota is the identity's quota.
	Quota Quota
	// Anonymous: the server has no tokens; quotas of streams are per client address.
	Anonymous bool
	// Via says how the request authenticated: "bearer", "ticket" or "none".
	Via string
	// Owner is the name statistics opened by this identity are recorded under ("" when
	// anonymous).
	Owner string

	quotaKey string
	revoked  <-chan struct{}
}

// Can reports whether the identity has role r.
func (id *Identity) Can(r Role) bool { return id != nil && id.Roles.Has(r) }

// Revoked is closed when a reload removes the identity's token or changes its secret
// or roles (never for the anonymous identity).
func (id *Identity) Revoked() <-chan struct{} { return id.revoked }

type ctxKey struct{}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the identity of a request's context (nil when it presented none).
func FromContext(ctx context.Context) *Identity {
	id, _ := ctx.Value(ctxKey{}).(*Identity)
	return id
}

// identity builds the identity of token tok (mu not held).
func (g *Guard) identity(tok Token, via string) *Identity {
	q := g.opts.Quota
	if tok.Quota.Statistics != nil {
		q.Statistics = *tok.Quota.Statistics
	}
	if tok.Quota.Streams != nil {
		q.Streams = *tok.Quota.Streams
	}
	g.mu.Lock()
	ch, ok := g.revoke[tok.Name]
	if !ok {
		ch = make(chan struct{})
		g.revoke[tok.Name] = ch
	}
	g.mu.Unlock()
	return &Identity{Name: tok.Name, Roles: tok.Roles.effective(), Quota: q, Via: via, Owner: tok.Name,
		quotaKey: "token:" + tok.Name, revoked: ch}
}

// anonymous is the identity of a request to a server without tokens.
func (g *Guard) anonymous(r *http.Request) *Identity {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return &Identity{Name: "anonymous", Roles: AllRoles, Quota: g.opts.Quota, Anonymous: true, Via: "none",
		quotaKey: "anonymous@" + host}
}

// Wrap is the outer middleware of every request: security headers, CORS (preflights
// are answered here), the Origin check of state-changing requests, and authentication:
// a bearer token (Authorization: Bearer) or, on a ticket path, a stream ticket. A
// request with credentials that are wrong is refused here (401); one with none goes on
// without an identity, and Require decides.
func (g *Guard) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		origin := r.Header.Get("Origin")
		listed := origin != "" && g.listed(origin)
		if listed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "Location, Retry-After, WWW-Authenticate")
		}
		if origin != "" {
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if !listed && !sameOrigin(origin, r) {
				g.refuse(w, r, http.StatusForbidden, nil, "cross-origin request from an origin not allowed", "origin "+short(origin)+" is not allowed (--cors-origin)")
				return
			}
			h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, Last-Event-ID")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if unsafeMethod(r.Method) {
			if origin != "" && !listed && !sameOrigin(origin, r) {
				g.refuse(w, r, http.StatusForbidden, nil, "cross-origin request from an origin not allowed",
					"cross-origin "+r.Method+" refused: origin "+short(origin)+" is not this server's and not allowed (--cors-origin)")
				return
			}
			if origin == "" && r.Header.Get("Sec-Fetch-Site") == "cross-site" {
				g.refuse(w, r, http.StatusForbidden, nil, "cross-site request without an Origin", "cross-site "+r.Method+" refused")
				return
			}
		}
		tokens := g.tokens.Load()
		if tokens == nil {
			if g.opts.LocalHostOnly && !localHost(r.Host) {
				g.refuse(w, r, http.StatusForbidden, nil, "Host is not this machine (DNS rebinding?)",
					"this server has no tokens and answers requests addressed to this machine only (localhost, 127.0.0.1, ::1), not to "+short(r.Host))
				return
			}
			next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), g.anonymous(r))))
			return
		}
		var id *Identity
		if authz := r.Header.Get("Authorization"); authz != "" {
			scheme, secret, _ := strings.Cut(authz, " ")
			if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
				g.refuse(w, r, http.StatusUnauthorized, nil, "malformed Authorization header", "send Authorization: Bearer TOKEN")
				return
			}
			tok, ok := tokens.Lookup(strings.TrimSpace(secret))
			if !ok {
				g.refuse(w, r, http.StatusUnauthorized, nil, "unknown token", "the token is not valid")
				return
			}
			id = g.identity(tok, "bearer")
		} else if t := r.URL.Query().Get("ticket"); t != "" && r.Method == http.MethodGet && g.ticketPath(r.URL.Path) {
			tok, ok, why := g.redeem(tokens, t)
			if !ok {
				g.refuse(w, r, http.StatusUnauthorized, nil, "stream ticket refused: "+why, "the stream ticket is not valid ("+why+"); get a new one with POST /v1/stream/ticket")
				return
			}
			id = g.identity(tok, "ticket")
		}
		if id != nil {
			r = r.WithContext(WithIdentity(r.Context(), id))
		}
		next.ServeHTTP(w, r)
	})
}

// Require lets requests whose identity has role through to next: none is 401 (with
// WWW-Authenticate), one without the role 403; both are logged. Admin requests are
// logged with their outcome.
func (g *Guard) Require(role Role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := FromContext(r.Context())
		if id == nil {
			g.refuse(w, r, http.StatusUnauthorized, nil, "no token", "authentication required: send Authorization: Bearer TOKEN")
			return
		}
		if !id.Can(role) {
			g.refuse(w, r, http.StatusForbidden, id, "role "+role.String()+" required", "the token "+quote(id.Name)+" lacks the role "+role.String()+" this request needs")
			return
		}
		if role&Admin != 0 {
			sw := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			g.AdminAction(r, id, r.Method+" "+r.URL.Path, "status", sw.status)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// AdminAction logs an action taken with the admin role (a reload, closing another
// token's statistic) with the token's name.
func (g *Guard) AdminAction(r *http.Request, id *Identity, action string, attrs ...any) {
	args := append([]any{"token", id.Name, "action", action, "remote", r.RemoteAddr}, attrs...)
	g.log.Info("admin action", args...)
}

// refuse answers status (401, 403) with a JSON error and logs the refusal with the
// token's name (never the token).
func (g *Guard) refuse(w http.ResponseWriter, r *http.Request, status int, id *Identity, reason, msg string) {
	name := "-"
	if id != nil {
		name = id.Name
	}
	g.log.Warn("request refused", "status", status, "reason", reason, "token", name,
		"method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
	switch status {
	case http.StatusUnauthorized:
		if reason == "no token" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="statkit"`)
		} else {
			w.Header().Set("WWW-Authenticate", `Bearer realm="statkit", error="invalid_token"`)
		}
	case http.StatusForbidden:
		if id != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="statkit", error="insufficient_scope"`)
		}
	}
	writeJSON(w, status, map[string]any{"error": msg})
}

// QuotaError is a request refused because the client is at a quota.
type QuotaError struct {
	// What is the quota: "statistics" or "streams".
	What string
	// Limit is the cap.
	Limit int
}

// Error describes the quota.
func (e *QuotaError) Error() string {
	return fmt.Sprintf("quota reached: at most %d %s open at once for this token", e.Limit, e.What)
}

// WriteQuota answers 429 with the quota and its cap, and logs it.
func (g *Guard) WriteQuota(w http.ResponseWriter, r *http.Request, id *Identity, e *QuotaError) {
	g.log.Warn("request over quota", "token", id.Name, "quota", e.What, "limit", e.Limit,
		"method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": e.Error(), "quota": e.What, "limit": e.Limit})
}

// AcquireStream counts a stream of id against its quota; release gives it back.
func (g *Guard) AcquireStream(id *Identity) (release func(), err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.streams[id.quotaKey] >= id.Quota.Streams {
		return nil, &QuotaError{What: "streams", Limit: id.Quota.Streams}
	}
	g.streams[id.quotaKey]++
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.streams[id.quotaKey]--; g.streams[id.quotaKey] <= 0 {
				delete(g.streams, id.quotaKey)
			}
		})
	}, nil
}

// Streams returns how many streams the identity's quota key holds.
func (g *Guard) Streams(id *Identity) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.streams[id.quotaKey]
}

// LimitStreams wraps a stream handler: the stream counts against the identity's quota
// of streams (429 past it) and ends when the identity's token is revoked by a reload.
func (g *Guard) LimitStreams(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := FromContext(r.Context())
		if id == nil {
			g.refuse(w, r, http.StatusUnauthorized, nil, "no token", "authentication required: send Authorization: Bearer TOKEN")
			return
		}
		release, err := g.AcquireStream(id)
		if err != nil {
			var qe *QuotaError
			errors.As(err, &qe)
			g.WriteQuota(w, r, id, qe)
			return
		}
		defer release()
		if rv := id.Revoked(); rv != nil {
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			go func() {
				select {
				case <-rv:
					g.log.Info("stream ended: its token was revoked", "token", id.Name, "remote", r.RemoteAddr)
					cancel()
				case <-ctx.Done():
				}
			}()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// CheckID refuses an id a client sends that is empty, longer than MaxIDBytes, or holds
// control characters.
func CheckID(what, id string) error {
	if id == "" {
		return fmt.Errorf("%s: empty id", what)
	}
	if len(id) > MaxIDBytes {
		return fmt.Errorf("%s: id of %d bytes, at most %d", what, len(id), MaxIDBytes)
	}
	for _, c := range id {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("%s: id holds a control character", what)
		}
	}
	return nil
}

func unsafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// statusRecorder records a response's status.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap returns the wrapped writer (flushes, deadlines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
