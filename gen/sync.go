package gen

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// Result is what Sync found: the outputs that differ from the files on disk (and were
// written in write mode), orphans (generated files no output produces any more) and a
// unified diff of every difference.
type Result struct {
	Changed []string
	Orphans []string
	Diff    string
}

// Stale reports whether anything differed.
func (r Result) Stale() bool { return len(r.Changed) > 0 || len(r.Orphans) > 0 }

// outputDirs returns the directories generated files live in; orphans are looked for there.
func outputDirs() []string { return []string{"generated", "docs"} }

// Sync compares outputs with the files under root. With write set it writes the changed
// files and deletes orphans; otherwise it only reports.
func Sync(root string, outs []Output, write bool) (Result, error) {
	var res Result
	var diff strings.Builder
	want := map[string]bool{}
	for _, o := range outs {
		want[o.Path] = true
		path := filepath.Join(root, filepath.FromSlash(o.Path))
		old, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("read %s: %w", o.Path, err)
		}
		if bytes.Equal(old, o.Data) {
			continue
		}
		res.Changed = append(res.Changed, o.Path)
		diff.WriteString(unifiedDiff(o.Path, old, o.Data))
		if write {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return res, fmt.Errorf("write %s: %w", o.Path, err)
			}
			if err := os.WriteFile(path, o.Data, 0o644); err != nil {
				return res, fmt.Errorf("write %s: %w", o.Path, err)
			}
		}
	}
	orphans, err := findOrphans(root, want)
	if err != nil {
		return res, err
	}
	for _, o := range orphans {
		res.Orphans = append(res.Orphans, o)
		fmt.Fprintf(&diff, "orphan generated file %s: no spec output produces it\n", o)
		if write {
			if err := os.Remove(filepath.Join(root, filepath.FromSlash(o))); err != nil {
				return res, fmt.Errorf("remove orphan %s: %w", o, err)
			}
		}
	}
	res.Diff = diff.String()
	return res, nil
}

// findOrphans lists files under the output directories that carry the generated header
// but are not among the wanted outputs.
func findOrphans(root string, want map[string]bool) ([]string, error) {
	var out []string
	for _, dir := range outputDirs() {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipDir
			}
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if want[rel] {
				return nil
			}
			if generatedFile(p) {
				out = append(out, rel)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("look for orphans in %s: %w", dir, err)
		}
	}
	sort.Strings(out)
	return out, nil
}

// generatedFile reports whether the file's first lines carry the generated header.
func generatedFile(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	if len(data) > 512 {
		data = data[:512]
	}
	return bytes.Contains(data, []byte(Header))
}

func unifiedDiff(name string, old, new []byte) string {
	d := difflib.UnifiedDiff{
		A:        difflib.SplitLines(string(old)),
		B:        difflib.SplitLines(string(new)),
		FromFile: "a/" + name,
		ToFile:   "b/" + name,
		Context:  2,
	}
	text, err := difflib.GetUnifiedDiffString(d)
	if err != nil {
		return fmt.Sprintf("--- %s differs (diff failed: %v)\n", name, err)
	}
	return text
}
