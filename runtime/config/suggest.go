package config

import (
	"sort"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/internal/suggest"
)

// Name lists for "did you mean …?" hints in errors about unknown names.

// keysOf returns the names of a config section, sorted.
func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// stringsOf returns the String of each value.
func stringsOf[T interface{ String() string }](vals []T) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v.String()
	}
	return out
}

// hintAction suggests an action name, or a "Name (Variant)" when name has that form.
func hintAction(name string, withVariant bool) string {
	if withVariant {
		return suggest.Hint(name, stringsOf(action.AllIDs()))
	}
	return suggest.Hint(name, action.Names())
}

func hintCategory(name string) string { return suggest.Hint(name, stringsOf(category.AllCategories())) }

func hintObjectType(name string) string { return suggest.Hint(name, stringsOf(object.AllTypes())) }

func hintSubject(name string) string {
	return suggest.Hint(name, append(stringsOf(category.AllSubjects()), "Action"))
}
