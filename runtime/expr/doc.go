// Package expr compiles and evaluates statkit's expressions, written in expr-lang
// (github.com/expr-lang/expr): the config's filters and custom-value formulas, which read
// the attributes of one action instance, and the formulas of the Formula category, which
// read other statistics. Both the config loader (which checks every expression at load,
// so that a bad one is an error at its file:line:col) and the engine (which evaluates
// them) use it.
//
// # Filters and formulas over an action instance
//
// A filter is a boolean expression, a custom-value formula a numeric one, over the
// attributes of one action instance (Instance):
//
//	media        string  the media type ("" when the event gave none)
//	interaction  string  the interaction id
//	agent        string  the agent of the instance
//	place        string  the place of the instance
//	source       string  the source object id (DN, staging area, …)
//	action       string  the action name (without variant)
//	data         map     the attached data: key → string in filters, key → number
//	                     (ParseNumber) in formulas; a missing key is "" or 0
//	reason       string  the code of a refused event (end_without_start, …), for the
//	                     filters of TotalNumberErrors; "" for an accepted action
//
// PairExists(key, value) is true when the data has key with exactly that value;
// PairExists(key) when it has key with any value. number(s) converts a string with
// ParseNumber. data[key] reads the first of repeated keys; PairExists matches any
// occurrence. expr-lang's builtins are available except now, date and timezone, which
// read the wall clock or the machine's time zone.
//
// Programs are compiled by a Machine and evaluated by the same Machine (PairExists reads
// the pairs the Machine is evaluating), one at a time: a Machine is not safe for
// concurrent use. CheckFilter and CheckFormula only check a text.
//
// # Formulas over statistics
//
// A Formula stat type's expression (CompileStatFormula) is numeric over other statistics:
//
//	Abandoned                  the statistic of stat type Abandoned on the formula
//	                           statistic's object, with its profile and filter
//	stat("Abandoned")          the same, for any stat type name (also those that are no
//	                           identifiers, such as "Calls.In")
//	stat("Abandoned", "Last15")  the same with the time profile Last15
//	statistic("q-answered")    the configured statistic q-answered (its own object,
//	                           profile, time range and filter)
//
// with expr-lang's operators and numeric builtins (abs, ceil, floor, round, max, min, …).
// The inputs are numbers; one that is undefined makes the formula undefined, and so does
// a division by zero (the reason names the divisor: "division by zero: Entered is 0") or
// a result that is not a finite number. A StatFormula is immutable once compiled and
// may be evaluated by several Machines at once.
package expr
