package server_test

// The wallboard behind tokens (runtime/auth): the page asks for a token once, keeps it
// for the browser session (sessionStorage, not localStorage), sends it on every fetch,
// and opens the stream with a single-use ticket (EventSource cannot send a header).

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/auth"
	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/server"
)

const (
	browserReadToken   = "wallboard-read-token-0123456789"
	browserIngestToken = "wallboard-ingest-token-0123456789"
)

func TestBrowserToken(t *testing.T) {
	chromium := findChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	defer cancel()
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.yaml")
	require.NoError(t, os.WriteFile(tokens, []byte(`tokens:
  - {name: wallboard, token: `+browserReadToken+`, roles: [read]}
  - {name: feeder, token: `+browserIngestToken+`, roles: [ingest]}
`), 0o600))
	g, err := auth.New(auth.Options{TokensFile: tokens, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	cfg, err := config.Load("board.yaml", strings.NewReader(boardBrowserConfig))
	require.NoError(t, err)
	base := serveOptionsForBrowser(t, ctx, server.Options{Config: cfg, Guard: g}, "127.0.0.1:0").base
	b := openBrowser(t, ctx, chromium, 1600, 1000)
	b.run(chromedp.Navigate(base + "/"))

	b.waitJS("the page asks for a token", `document.querySelector("#token-dialog").open`)
	b.run(chromedp.SendKeys(chromedp.ID("token-input"), "not-a-token"))
	b.run(chromedp.Click(chromedp.ID("token-submit")))
	b.waitJS("a wrong token is refused, and asked again", `document.querySelector("#token-dialog").open &&
		document.querySelector("#token-error").textContent === "The token was refused." && !document.querySelector("#token-error").hidden`)
	b.run(chromedp.SendKeys(chromedp.ID("token-input"), browserReadToken))
	b.run(chromedp.Click(chromedp.ID("token-submit")))
	b.waitJS("with the token: the board, live over a ticketed stream", `!document.querySelector("#token-dialog").open &&
		document.querySelectorAll("#headline .kpi").length === 4 && document.querySelector("#conn").dataset.state === "live"`)

	// A value posted (by a feeder's token) reaches the page over the stream.
	req, err := http.NewRequest("POST", base+"/v1/events", bytes.NewReader([]byte(callArrives(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), "c-1")+"\n")))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+browserIngestToken)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	b.waitJS("the value arrives", kpiValue("waiting", "1"))
	require.Equal(t, browserReadToken, b.eval(`sessionStorage.getItem("statkit.wallboard.token")`), "kept for the browser session")
	require.Equal(t, "", b.eval(`String(Object.keys(localStorage).filter(k => localStorage.getItem(k).includes("token")).join(","))`), "and nowhere longer-lived")

	// A reload asks nothing: the session's token opens the board again.
	b.run(chromedp.Reload())
	b.waitJS("after the reload: the board without a prompt", `!document.querySelector("#token-dialog").open &&
		document.querySelector("#conn").dataset.state === "live" && `+kpiValue("waiting", "1"))
	b.noPageErrors() // the browser logs the 401s that asked for the token
}
