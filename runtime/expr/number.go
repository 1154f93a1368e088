package expr

import (
	"math"
	"strconv"
)

// ParseNumber converts an attached-data value to a number the way the Stat Server does for
// custom values (DOMAIN.md §2.2): the whole string must be
//
//   - an integer with an optional sign: "42", "-7", "+3", "007";
//   - a fixed-point decimal: "12.5", "-0.25", ".5", "5." (digits on at least one side of
//     the point);
//   - or either of those followed by e or E, an optional sign and a one- or two-digit
//     exponent: "1e3", "2.5E-07", "-.5e+12".
//
// Anything else is 0: an empty string, surrounding spaces, a three-digit exponent, a
// hexadecimal or underscored literal, "Inf", "NaN", a second point or sign. A well-formed
// value too large for a float64 (hundreds of digits) is 0 as well.
func ParseNumber(s string) float64 {
	if !wellFormedNumber(s) {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0
	}
	return f
}

// wellFormedNumber reports whether s has the grammar ParseNumber accepts:
// [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digit digit?)?
func wellFormedNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intDigits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		intDigits++
	}
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			fracDigits++
		}
	}
	if intDigits+fracDigits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			exp++
		}
		if exp < 1 || exp > 2 {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
