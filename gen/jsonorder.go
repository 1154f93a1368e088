package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jsonObject is a JSON object that keeps its members in order: the config schema is
// written in the order of its handwritten base (encoding/json would sort map keys).
type jsonObject struct {
	keys []string
	vals map[string]any // *jsonObject, []any, []string, string, json.Number, bool or nil
}

// get returns the value of member k, or nil.
func (o *jsonObject) get(k string) any { return o.vals[k] }

// set replaces member k in place, or appends it.
func (o *jsonObject) set(k string, v any) {
	if o.vals == nil {
		o.vals = map[string]any{}
	}
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// parseJSONObject decodes a JSON document whose top level is an object, keeping member
// order; numbers stay json.Number so they are written back as they were.
func parseJSONObject(data []byte) (*jsonObject, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := decodeJSON(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the top-level value at offset %d", d.InputOffset())
	}
	o, ok := v.(*jsonObject)
	if !ok {
		return nil, errors.New("the top-level value is not an object")
	}
	return o, nil
}

// decodeJSON reads one value from d.
func decodeJSON(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &jsonObject{}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, err
			}
			key := k.(string) // the decoder only returns string keys inside an object
			if _, dup := o.vals[key]; dup {
				return nil, fmt.Errorf("duplicate member %q at offset %d", key, d.InputOffset())
			}
			v, err := decodeJSON(d)
			if err != nil {
				return nil, err
			}
			o.set(key, v)
		}
		_, err := d.Token() // '}'
		return o, err
	case json.Delim('['):
		a := []any{}
		for d.More() {
			v, err := decodeJSON(d)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := d.Token() // ']'
		return a, err
	}
	return tok, nil
}

// indentJSON writes v as JSON indented by two spaces, one member or element per line, with
// a final newline. Strings are not HTML-escaped (summaries contain <Queue>@<Switch>).
func indentJSON(v any) ([]byte, error) {
	var compact, out bytes.Buffer
	if err := encodeJSON(&compact, v); err != nil {
		return nil, err
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// encodeJSON writes v as compact JSON.
func encodeJSON(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case *jsonObject:
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			if err := encodeJSON(b, v.vals[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case []string:
		return encodeJSON(b, anys(v))
	case string:
		writeJSONString(b, v)
	default: // json.Number, bool, nil
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(data)
	}
	return nil
}

// writeJSONString writes s as a JSON string without HTML escaping.
func writeJSONString(b *bytes.Buffer, s string) {
	e := json.NewEncoder(b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s)         // encoding a string cannot fail
	b.Truncate(b.Len() - 1) // Encode's newline
}

func anys[T any](list []T) []any {
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = v
	}
	return out
}
