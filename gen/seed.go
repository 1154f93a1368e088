package gen

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// seedColumns names the nine cells of a seed row, in the seed table's column order (the
// TSV export's columns after action and variant).
func seedColumns() [9]string {
	return [9]string{"regular_dn", "media_channel", "mediation_dn", "staging_area", "tenant",
		"ixn_related", "durable", "momentary", "retrospective"}
}

// SeedRow is one row of the seed action table (the text dump of "Summary of Stat Server
// Actions"): the name as the seed spells it, the parenthesised variant, and the nine ✓
// cells in the seed's column order: regular_dn, media_channel, mediation_dn, staging_area,
// tenant, ixn_related, durable, momentary, retrospective.
type SeedRow struct {
	Line    int // 1-based line in the seed file
	Name    string
	Variant string
	Cells   [9]bool
}

// seedMark is the seed's check mark.
const seedMark = "✓"

// ParseSeed reads the seed table. A row is a line holding a check mark that is not a header
// line ("Action\t..."); its fields are tab-separated: the name with an optional
// " (Variant)", then the nine cells. In a few rows the PDF dump joined the name and the first
// cell with a space ("CallAbandonedFromDialing ✓\t\t...") while the other cells keep their
// positions; such a row has cell 0 set. Other lines (headings, prose) are skipped.
func ParseSeed(r io.Reader) ([]SeedRow, error) {
	var rows []SeedRow
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if !strings.Contains(text, seedMark) || strings.HasPrefix(text, "Action\t") {
			continue
		}
		row, err := parseSeedRow(line, text)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read seed: %w", err)
	}
	return rows, nil
}

func parseSeedRow(line int, text string) (SeedRow, error) {
	fields := strings.Split(text, "\t")
	row := SeedRow{Line: line}
	name := strings.TrimSpace(fields[0])
	if n, ok := strings.CutSuffix(name, " "+seedMark); ok {
		name = strings.TrimSpace(n)
		row.Cells[0] = true
	}
	if len(fields) > 1+len(row.Cells) {
		return SeedRow{}, fmt.Errorf("seed line %d: %d cells, want at most %d", line, len(fields)-1, len(row.Cells))
	}
	for i, f := range fields[1:] {
		switch strings.TrimSpace(f) {
		case seedMark:
			row.Cells[i] = true
		case "":
		default:
			return SeedRow{}, fmt.Errorf("seed line %d: cell %d (%s) is %q, want %q or empty", line, i+1, seedColumns()[i], f, seedMark)
		}
	}
	if base, variant, ok := strings.Cut(name, " ("); ok {
		v, closed := strings.CutSuffix(variant, ")")
		if !closed || v == "" {
			return SeedRow{}, fmt.Errorf("seed line %d: malformed variant in %q", line, name)
		}
		name, row.Variant = base, v
	}
	if name == "" || strings.Contains(name, seedMark) {
		return SeedRow{}, fmt.Errorf("seed line %d: bad action name %q", line, fields[0])
	}
	row.Name = name
	return row, nil
}
