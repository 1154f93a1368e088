package event

import (
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	for s, want := range map[string]string{ // want: canonical UTC form
		"2026-11-26T09:00:03.250Z":           "2026-11-26T09:00:03.250Z",
		"2026-11-26T09:00:03Z":               "2026-11-26T09:00:03.000Z",
		"2026-11-26T09:00:03.2Z":             "2026-11-26T09:00:03.200Z",
		"2026-11-26T09:00:03.25Z":            "2026-11-26T09:00:03.250Z",
		"2026-11-26T09:00:03.2509Z":          "2026-11-26T09:00:03.250Z", // truncated
		"2026-11-26T09:00:03.999999999Z":     "2026-11-26T09:00:03.999Z", // truncated, not rounded
		"2026-11-26T09:00:03.0000000000001Z": "2026-11-26T09:00:03.000Z",
		"2026-11-26T11:00:03.250+02:00":      "2026-11-26T09:00:03.250Z",
		"2026-11-26T04:30:03-04:30":          "2026-11-26T09:00:03.000Z",
		"2026-11-26T09:00:03+00:00":          "2026-11-26T09:00:03.000Z",
		"2026-11-26T09:00:03-00:00":          "2026-11-26T09:00:03.000Z",
		"2026-11-27T00:30:00+01:00":          "2026-11-26T23:30:00.000Z", // crosses midnight
		"2026-01-01T00:30:00+01:00":          "2025-12-31T23:30:00.000Z", // crosses a year
		"2024-02-29T12:00:00Z":               "2024-02-29T12:00:00.000Z", // leap day
		"2000-02-29T12:00:00Z":               "2000-02-29T12:00:00.000Z",
		"1970-01-01T00:00:00Z":               "1970-01-01T00:00:00.000Z",
		"1969-12-31T23:59:59.999Z":           "1969-12-31T23:59:59.999Z",
		"0000-01-01T00:00:00Z":               "0000-01-01T00:00:00.000Z",
		"9999-12-31T23:59:59.999Z":           "9999-12-31T23:59:59.999Z",
		"0000-01-01T23:59:00+23:59":          "0000-01-01T00:00:00.000Z",
	} {
		got, err := ParseTime(s)
		if err != nil {
			t.Errorf("ParseTime(%q): %v", s, err)
			continue
		}
		if got.String() != want || string(appendTime(nil, got)) != want {
			t.Errorf("ParseTime(%q) = %s / %s, want %s", s, got, appendTime(nil, got), want)
		}
	}
}

func TestParseTimeRejects(t *testing.T) {
	for _, s := range []string{
		"",
		"2026-11-26",
		"2026-11-26T09:00Z",
		"2026-11-26T09:00:03",            // no zone
		"2026-11-26 09:00:03Z",           // space
		"2026-11-26t09:00:03Z",           // lower-case t
		"2026-11-26T09:00:03z",           // lower-case z
		"2026-11-26T09:00:03.Z",          // empty fraction
		"2026-11-26T09:00:03,250Z",       // comma
		"2026-11-26T09:00:03+0200",       // offset without colon
		"2026-11-26T09:00:03+02",         // short offset
		"2026-11-26T09:00:03+24:00",      // offset hour
		"2026-11-26T09:00:03+02:60",      // offset minute
		"2026-11-26T09:00:03ZZ",          // trailing
		"2026-11-26T09:00:03.25 Z",       // space before zone
		"2026-13-26T09:00:03Z",           // month
		"2026-00-26T09:00:03Z",           // month 0
		"2026-11-00T09:00:03Z",           // day 0
		"2026-11-31T09:00:03Z",           // November 31
		"2026-02-29T09:00:03Z",           // not a leap year
		"1900-02-29T09:00:03Z",           // not a leap year
		"2026-11-26T24:00:00Z",           // hour 24
		"2026-11-26T09:60:00Z",           // minute 60
		"2026-11-26T23:59:60Z",           // leap second
		"+2026-11-26T09:00:03Z",          // sign
		"20261-11-26T09:00:03Z",          // 5-digit year
		"2026-1-26T09:00:03Z",            // 1-digit month
		"２０２６-11-26T09:00:03Z",           // full-width digits
		"2026-11-26T09:00:03.25０Z",       // full-width digit in fraction
		"9999-12-31T23:59:59-00:01",      // after year 9999 in UTC
		"0000-01-01T00:00:00+00:01",      // before year 0000 in UTC
		"1764147603",                     // epoch seconds
		"Thu, 26 Nov 2026 09:00:03 GMT",  // RFC 1123
		"2026-11-26T09:00:03.250Z\n",     // newline
		strings.Repeat("9", 30) + "Z",    // digits
		"2026-11-26T09:00:03+02:00:00",   // seconds in offset
		"2026-11-26T09:00:03.250+02:00Z", // both
	} {
		if got, err := ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q) = %s, want an error", s, got)
		}
	}
}

func TestTimeBounds(t *testing.T) {
	if got := TimeOf(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)); got != MinTime {
		t.Errorf("MinTime = %d, want %d", MinTime, got)
	}
	if got := TimeOf(time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)); got != MaxTime {
		t.Errorf("MaxTime = %d, want %d", MaxTime, got)
	}
}

// TestAppendTimeMatchesString checks the hand-written formatter against Time.String at
// many instants, negative ones included.
func TestAppendTimeMatchesString(t *testing.T) {
	step := (MaxTime - MinTime) / 100_003
	for tm := MinTime; tm <= MaxTime && tm >= MinTime; tm += step {
		for _, d := range []Time{0, 1, 999, 86_399_999} {
			if x := tm + d; x <= MaxTime {
				if got, want := string(appendTime(nil, x)), x.String(); got != want {
					t.Fatalf("appendTime(%d) = %s, want %s", x, got, want)
				}
			}
		}
	}
}

// FuzzParseTime compares ParseTime with time.Parse: whatever ParseTime accepts, time.Parse
// accepts with the same instant; what time.Parse accepts and ParseTime refuses must be one
// of the documented differences.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-26T09:00:03.250Z", "2026-11-26T11:00:03+02:00",
		"2024-02-29T23:59:59.999999-12:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z",
		"2026-11-26T09:00:03,250Z", "2026-02-29T00:00:00Z", "1969-12-31T23:59:59.5Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		std, stdErr := time.Parse(time.RFC3339Nano, s)
		if err == nil {
			if stdErr != nil {
				t.Fatalf("ParseTime(%q) = %s but time.Parse fails: %v", s, got, stdErr)
			}
			if want := TimeOf(std); got != want {
				t.Fatalf("ParseTime(%q) = %s, time.Parse gives %s", s, got, want)
			}
			if back, err := ParseTime(got.String()); err != nil || back != got {
				t.Fatalf("canonical form %s does not parse back: %v", got, err)
			}
			return
		}
		// time.Parse is laxer than RFC 3339 (one-digit hours, a comma before the fraction):
		// only inputs of the strict shape must be accepted.
		if stdErr == nil && rfc3339Shape.MatchString(s) && !outOfRange(std) {
			t.Fatalf("ParseTime(%q) fails (%v) but time.Parse accepts %s", s, err, std)
		}
	})
}

// rfc3339Shape is the RFC 3339 date-time grammar (ASCII digits only).
var rfc3339Shape = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`)

// outOfRange reports a time.Time outside [MinTime, MaxTime].
func outOfRange(t time.Time) bool {
	return t.Before(MinTime.Std()) || t.After(MaxTime.Std().Add(time.Millisecond-1))
}

func TestParseDurationMillis(t *testing.T) {
	for lit, want := range map[string]int64{
		"0":                  0,
		"-0":                 0,
		"-0.0e5":             0,
		"0.000":              0,
		"12":                 12000,
		"12.4":               12400,
		"12.40":              12400,
		"0.1":                100,
		"0.001":              1,
		"0.0019":             1, // truncated
		"0.0009":             0,
		"2.9999":             2999,
		"1e3":                1000000,
		"1E+3":               1000000,
		"1.5e1":              15000,
		"12400e-3":           12400,
		"124e-1":             12400,
		"1e-3":               1,
		"1e-4":               0,
		"1e-999999999999999": 0,
		"0e999999999999":     0,
		"00.5":               500, // the scanner refuses this; the converter is total anyway
		"315569519999.999":   MaxDuration,
		"0.000000000000000000000000000000000000012345e40": 123450,
	} {
		got, err := parseDurationMillis(lit)
		if err != nil || got != want {
			t.Errorf("parseDurationMillis(%s) = %d, %v; want %d", lit, got, err, want)
		}
	}
	for lit, want := range map[string]error{
		"-1":                      errNegative,
		"-0.0001":                 errNegative,
		"-1e-9":                   errNegative,
		"315569520000":            errTooLarge,
		"315569519999.9999":       nil,
		"1e20":                    errTooLarge,
		"1e999999999999999999999": errTooLarge,
		"99999999999999999999":    errTooLarge,
	} {
		if _, err := parseDurationMillis(lit); err != want {
			t.Errorf("parseDurationMillis(%s): error %v, want %v", lit, err, want)
		}
	}
}

func TestAppendDuration(t *testing.T) {
	for ms, want := range map[int64]string{0: "0", 5: "0.005", 50: "0.05", 500: "0.5",
		12400: "12.4", 12340: "12.34", 12345: "12.345", 3000: "3", 1001: "1.001",
		MaxDuration: "315569519999.999"} {
		if got := string(appendDuration(nil, ms)); got != want {
			t.Errorf("appendDuration(%d) = %s, want %s", ms, got, want)
		}
		if back, err := parseDurationMillis(want); err != nil || back != ms {
			t.Errorf("parseDurationMillis(%s) = %d, %v; want %d", want, back, err, ms)
		}
	}
}

// FuzzParseDuration compares the exact decimal conversion with math/big.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"12.4", "0.0019", "1e3", "-0", "-1", "1e-4", "315569519999.999", "7E+2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lit string) {
		if n, rej := (&scanner{s: lit}).number(); rej != nil || n != lit || len(lit) > 200 {
			return // only JSON number literals reach the converter
		}
		if i := indexExp(lit); i >= 0 {
			if e := parseExp(lit[i+1:]); e > 400 || e < -400 {
				return // big.Rat would build 10^e
			}
		}
		got, err := parseDurationMillis(lit)
		r, ok := new(big.Rat).SetString(lit)
		if !ok {
			t.Fatalf("big.Rat cannot parse %q", lit)
		}
		ms := new(big.Int).Quo(new(big.Int).Mul(r.Num(), big.NewInt(1000)), r.Denom()) // truncates toward 0
		switch {
		case r.Sign() < 0: // even -0.0001 s, which truncates to 0 ms
			if err != errNegative {
				t.Fatalf("%s: got %d, %v; want errNegative", lit, got, err)
			}
		case ms.Cmp(big.NewInt(MaxDuration)) > 0:
			if err != errTooLarge {
				t.Fatalf("%s: got %d, %v; want errTooLarge", lit, got, err)
			}
		default:
			if err != nil || got != ms.Int64() {
				t.Fatalf("%s: got %d, %v; want %s", lit, got, err, ms)
			}
		}
	})
}
