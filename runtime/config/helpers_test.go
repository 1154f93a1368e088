package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/internal/yamlpos"
	"github.com/statkit/statkit/runtime/config"
)

// file names test documents in errors.
const file = "c.yaml"

// load loads doc, which must be valid.
func load(t *testing.T, doc string) *config.Config {
	t.Helper()
	c, err := config.Load(file, strings.NewReader(doc))
	require.NoError(t, err)
	return c
}

// loadErrors loads doc with opts, which must fail, and returns every error as
// "c.yaml:LINE:COL: message".
func loadErrors(t *testing.T, doc string, opts config.Options) []string {
	t.Helper()
	c, err := config.LoadWith(file, strings.NewReader(doc), opts)
	require.Error(t, err, "the config should not load")
	require.Nil(t, c)
	var list yamlpos.List
	require.True(t, errors.As(err, &list), "want a yamlpos.List, got %T: %v", err, err)
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.Error()
	}
	return out
}
