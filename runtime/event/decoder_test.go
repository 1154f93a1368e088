package event

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// lines returns the line numbers of the accepted events and of the rejections.
func (o outcome) lines() (acc, rej []int) {
	for _, e := range o.accepted {
		acc = append(acc, e.Line)
	}
	for _, r := range o.rejected {
		rej = append(rej, r.Line)
	}
	return acc, rej
}

func TestDecoderLineHandling(t *testing.T) {
	a, b := realistic[0], realistic[1]
	for name, c := range map[string]struct {
		input    string
		acc, rej []int
	}{
		"empty input":           {"", nil, nil},
		"only blank lines":      {"\n \n\t\r\n", nil, nil},
		"no final newline":      {a + "\n" + b, []int{1, 2}, nil},
		"CRLF":                  {a + "\r\n" + b + "\r\n", []int{1, 2}, nil},
		"blank lines counted":   {"\n" + a + "\n\n  \n" + b + "\n\n", []int{2, 5}, nil},
		"bad line in between":   {a + "\n{\n" + b + "\n", []int{1, 3}, []int{2}},
		"bad last line, no NL":  {a + "\n" + b + "\n{", []int{1, 2}, []int{3}},
		"object over two lines": {"{\"time\":\"2026-11-26T09:00:00Z\",\n\"action\":\"CallEntered\"}\n" + a, []int{3}, []int{1, 2}},
	} {
		t.Run(name, func(t *testing.T) {
			acc, rej := decodeAll(t, c.input, Options{}).lines()
			if !slices.Equal(acc, c.acc) || !slices.Equal(rej, c.rej) {
				t.Fatalf("accepted %v rejected %v, want %v %v", acc, rej, c.acc, c.rej)
			}
		})
	}
}

func TestDecoderLineLengthBound(t *testing.T) {
	a := realistic[0]
	pad := func(n int) string { // a valid line of exactly n bytes
		base := ev(tOK, `"action":"CallEntered"`, srcQueue, `"interaction":""`)
		return strings.Replace(base, `"interaction":""`, `"interaction":"`+strings.Repeat("x", n-len(base))+`"`, 1)
	}
	for name, c := range map[string]struct {
		max      int
		input    string
		acc, rej []int
	}{
		"exactly max":                {200, pad(200) + "\n" + a + "\n", []int{1, 2}, nil},
		"max plus one":               {200, pad(201) + "\n" + a + "\n", []int{2}, []int{1}},
		"max plus CR counts":         {200, pad(200) + "\r\n" + a + "\n", []int{2}, []int{1}},
		"long last line, no NL":      {200, a + "\n" + pad(300), []int{1}, []int{2}},
		"tiny bound":                 {5, a + "\n\n" + a, nil, []int{1, 3}},
		"longer than read buffer":    {0, pad(200_000) + "\n" + a + "\n", []int{1, 2}, nil},
		"many buffers over the max":  {100_000, pad(300_000) + "\n" + a + "\n" + pad(99_999) + "\n", []int{2, 3}, []int{1}},
		"over the max then blank":    {100_000, pad(300_000) + "\n\n" + a, []int{3}, []int{1}},
		"default max, too long line": {0, pad(DefaultMaxLineBytes+1) + "\n" + a + "\n", []int{2}, []int{1}},
		"default max, max line":      {0, pad(DefaultMaxLineBytes) + "\n" + a + "\n", []int{1, 2}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			out := decodeAll(t, c.input, Options{MaxLineBytes: c.max})
			acc, rej := out.lines()
			if !slices.Equal(acc, c.acc) || !slices.Equal(rej, c.rej) {
				t.Fatalf("accepted %v rejected %v, want %v %v (%v)", acc, rej, c.acc, c.rej, out.rejected)
			}
			for _, r := range out.rejected {
				if r.Code != CodeLineTooLong {
					t.Fatalf("got %v", r)
				}
			}
		})
	}
}

// TestDecoderReaders: the outcome does not depend on how the reader splits the input.
func TestDecoderReaders(t *testing.T) {
	input := stream(realistic...) + "{bad\n" + strings.Repeat("y", 300) + "\n" + realistic[3]
	want := decodeAll(t, input, Options{MaxLineBytes: 250})
	for name, r := range map[string]io.Reader{
		"one byte": iotest.OneByteReader(strings.NewReader(input)),
		"half":     iotest.HalfReader(strings.NewReader(input)),
		"data+EOF": iotest.DataErrReader(strings.NewReader(input)),
	} {
		d := NewDecoder(r, Options{MaxLineBytes: 250})
		var got outcome
		for {
			e, rej, err := d.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if rej != nil {
				got.rejected = append(got.rejected, rej)
			} else {
				got.accepted = append(got.accepted, e)
			}
		}
		gotAcc, gotRej := got.lines()
		wantAcc, wantRej := want.lines()
		if !slices.Equal(gotAcc, wantAcc) || !slices.Equal(gotRej, wantRej) {
			t.Fatalf("%s: %v %v, want %v %v", name, gotAcc, gotRej, wantAcc, wantRej)
		}
	}
}

// TestDecoderReadError: a read error stops decoding, is wrapped with the line being read,
// and is sticky; the lines before it are returned.
func TestDecoderReadError(t *testing.T) {
	errBroken := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader(realistic[0]+"\n"+realistic[1][:20]), iotest.ErrReader(errBroken))
	d := NewDecoder(r, Options{})
	e, rej, err := d.Next()
	if err != nil || rej != nil || e.Line != 1 {
		t.Fatalf("first line: %+v %v %v", e, rej, err)
	}
	for range 2 {
		_, rej, err = d.Next()
		if !errors.Is(err, errBroken) || rej != nil || !strings.Contains(err.Error(), "line 2") {
			t.Fatalf("got %v, %v; want the read error at line 2", rej, err)
		}
	}
	if d.Line() != 1 {
		t.Fatalf("Line() = %d", d.Line())
	}
	// The same while assembling a line longer than the read buffer.
	r = io.MultiReader(strings.NewReader(strings.Repeat("z", 200_000)), iotest.ErrReader(errBroken))
	if _, _, err := NewDecoder(r, Options{}).Next(); !errors.Is(err, errBroken) {
		t.Fatalf("long line: got %v", err)
	}
}

func TestDecoderEOFIsSticky(t *testing.T) {
	d := NewDecoder(strings.NewReader(realistic[0]), Options{})
	if _, _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := d.Next(); err != io.EOF {
			t.Fatalf("got %v, want io.EOF", err)
		}
	}
}
