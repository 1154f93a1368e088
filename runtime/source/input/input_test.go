package input_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/input"
	"github.com/statkit/statkit/runtime/source/queuelog"
)

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct{ in, format, addr string }{
		{"asterisk-queue-log:/var/log/asterisk/queue_log", "asterisk-queue-log", "/var/log/asterisk/queue_log"},
		{"asterisk-ami:pbx.example.com", "asterisk-ami", "pbx.example.com:5038"},
		{"asterisk-ami:10.0.0.5:5039", "asterisk-ami", "10.0.0.5:5039"},
		{"freeswitch-esl:127.0.0.1", "freeswitch-esl", "127.0.0.1:8021"},
	} {
		s, err := input.ParseSpec(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.format, s.Format.Name)
		assert.Equal(t, tc.addr, s.Address)
	}
	_, err := input.ParseSpec("asterisk-queue-log")
	assert.EqualError(t, err, `source "asterisk-queue-log": want FORMAT:ADDRESS (formats: asterisk-ami, asterisk-queue-log, freeswitch-esl)`)
	_, err = input.ParseSpec("genesys:tserver:3000")
	assert.EqualError(t, err, `unknown source format "genesys" (formats: asterisk-ami, asterisk-queue-log, freeswitch-esl)`)
}

// TestOpenQueueLog follows a live queue_log through Open and resumes from a batch's
// position; every frame decodes with the format's Decoder.
func TestOpenQueueLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue_log")
	require.NoError(t, os.WriteFile(path, []byte("1767225600|c1|q|NONE|ENTERQUEUE||555|1\n"), 0o644))
	spec, err := input.ParseSpec("asterisk-queue-log:" + path)
	require.NoError(t, err)
	opts := input.LiveOptions{Follow: queuelog.FollowOptions{Poll: time.Millisecond}}
	src, err := input.Open(spec, nil, opts)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := src.Next(ctx)
	require.NoError(t, err)
	require.Len(t, b.Frames, 1)
	dec, err := input.Decoder(spec.Format)
	require.NoError(t, err)
	var rec source.Record
	require.NoError(t, dec(b.Frames[0].Data, &rec))
	v, _ := rec.Get("callerid")
	assert.Equal(t, "555", v)
	require.NoError(t, src.Close())

	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("1767225601|c1|q|NONE|ABANDON|1|1|1\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	src, err = input.Open(spec, b.Position, opts)
	require.NoError(t, err)
	defer src.Close()
	b, err = src.Next(ctx)
	require.NoError(t, err)
	require.Len(t, b.Frames, 1)
	assert.Contains(t, string(b.Frames[0].Data), "ABANDON", "resumed after the first line")
}

// TestOpenCredentials: AMI and ESL read their secrets from a file (mode 600) or the
// environment, never a flag; a missing secret or a world-readable file is refused.
func TestOpenCredentials(t *testing.T) {
	ami, err := input.ParseSpec("asterisk-ami:127.0.0.1:1")
	require.NoError(t, err)
	t.Setenv(input.EnvAMIUsername, "")
	_, err = input.Open(ami, nil, input.LiveOptions{})
	assert.EqualError(t, err, "source asterisk-ami: credentials: STATKIT_AMI_USERNAME is not set in the environment")
	t.Setenv(input.EnvAMIUsername, "statkit")
	t.Setenv(input.EnvAMISecret, "s3cret")
	src, err := input.Open(ami, nil, input.LiveOptions{})
	require.NoError(t, err, "it dials on the first Next, not at Open")
	src.Close()

	file := filepath.Join(t.TempDir(), "esl.env")
	require.NoError(t, os.WriteFile(file, []byte("# FreeSWITCH\nexport STATKIT_ESL_PASSWORD='ClueCon'\n"), 0o644))
	esl, err := input.ParseSpec("freeswitch-esl:127.0.0.1")
	require.NoError(t, err)
	_, err = input.Open(esl, nil, input.LiveOptions{Credentials: file})
	assert.ErrorContains(t, err, "is readable by others (mode -rw-r--r--); chmod 600 it")
	require.NoError(t, os.Chmod(file, 0o600))
	vals, err := source.LoadCredentials(file, input.EnvESLPassword)
	require.NoError(t, err)
	assert.Equal(t, []string{"ClueCon"}, vals)
	require.NoError(t, os.WriteFile(file, []byte("STATKIT_ESL_PASSWORD\n"), 0o600))
	_, err = source.LoadCredentials(file, input.EnvESLPassword)
	assert.EqualError(t, err, "credentials file "+file+":1: want NAME=VALUE")
}
