package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"time"
)

// Stream tickets.
//
// EventSource cannot send an Authorization header, so a page gets a ticket first: POST
// /v1/stream/ticket with its bearer token answers {ticket, expiresIn}; the page then
// opens /v1/stream?ticket=T&statistic=… within expiresIn seconds. A ticket is 128
// random bits, known only to this process; it authenticates one stream (it is used up
// by the request that presents it) as the token that asked for it, with that token's
// roles at the moment of use — a token removed by a reload can no longer use its
// tickets, and its open streams end. A stream that breaks (EventSource reconnects with
// the same URL) gets 401: the page asks for a new ticket and opens a new EventSource.
// Tickets appear in URLs, and so in proxy logs; being single-use and short-lived, a
// logged one is worthless.

// maxTicketsPerToken bounds the unused tickets one token may hold.
const maxTicketsPerToken = 64

// ticket is an issued, unused ticket.
type ticket struct {
	name    string
	digest  [sha256.Size]byte
	expires time.Time
}

// ticketPath reports whether a ticket authenticates a GET on path.
func (g *Guard) ticketPath(path string) bool { return slices.Contains(g.opts.TicketPaths, path) }

// Ticket issues a stream ticket for the identity (a token's; nil error). Without tokens
// there is nothing to issue: the stream needs no credentials.
func (g *Guard) Ticket(id *Identity) (string, time.Duration, error) {
	tokens := g.tokens.Load()
	if tokens == nil || id == nil || id.Anonymous {
		return "", 0, nil
	}
	tok, ok := tokens.ByName(id.Name)
	if !ok {
		return "", 0, &QuotaError{What: "tickets", Limit: 0}
	}
	var raw [16]byte
	rand.Read(raw[:])
	t := base64.RawURLEncoding.EncodeToString(raw[:])
	now := g.opts.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	held := 0
	for k, tk := range g.tickets {
		if !now.Before(tk.expires) {
			delete(g.tickets, k)
		} else if tk.name == id.Name {
			held++
		}
	}
	if held >= maxTicketsPerToken {
		return "", 0, &QuotaError{What: "tickets", Limit: maxTicketsPerToken}
	}
	g.tickets[t] = ticket{name: id.Name, digest: tok.fingerprint(), expires: now.Add(g.opts.TicketTTL)}
	return t, g.opts.TicketTTL, nil
}

// redeem uses up ticket t and returns its token as the current tokens file has it.
func (g *Guard) redeem(tokens *Tokens, t string) (Token, bool, string) {
	g.mu.Lock()
	tk, ok := g.tickets[t]
	delete(g.tickets, t)
	g.mu.Unlock()
	if !ok {
		return Token{}, false, "unknown or already used"
	}
	if !g.opts.Now().Before(tk.expires) {
		return Token{}, false, "expired"
	}
	tok, ok := tokens.ByName(tk.name)
	if !ok || tok.digest != tk.digest {
		return Token{}, false, "its token was revoked"
	}
	return tok, true, ""
}

// IssueTicket handles POST /v1/stream/ticket (behind Require(Read)): 200 {ticket,
// expiresIn (seconds), stream (the URL to open)}; without tokens, {ticket: "", …} (the
// stream needs none).
func (g *Guard) IssueTicket(w http.ResponseWriter, r *http.Request) {
	id := FromContext(r.Context())
	t, ttl, err := g.Ticket(id)
	if err != nil {
		if qe, ok := err.(*QuotaError); ok {
			g.WriteQuota(w, r, id, qe)
			return
		}
	}
	stream := "/v1/stream"
	if t != "" {
		stream += "?ticket=" + t
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"ticket": t, "expiresIn": int(ttl / time.Second), "stream": stream})
}
