package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// memory keeps the test values entered for each node file between runs of
// httpstep test, as the product's "Test API" keeps the last entered values.
// It lives in one JSON file in the user's configuration directory,
// os.UserConfigDir()/httpstep/test-values.json, mode 0600: an object keyed
// by the node file's absolute path, each holding ref → text. Secrets are
// never stored. The zero memory (no file) remembers nothing.
type memory struct {
	path  string
	nodes map[string]map[string]string
}

// memoryFile is where the memory lives.
func memoryFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("httpstep: no configuration directory to remember test values in: %w", err)
	}
	return filepath.Join(dir, "httpstep", "test-values.json"), nil
}

// loadMemory reads the memory; a missing file is an empty memory.
func loadMemory() (*memory, error) {
	path, err := memoryFile()
	if err != nil {
		return nil, err
	}
	m := &memory{path: path, nodes: map[string]map[string]string{}}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return m, nil
	case err != nil:
		return nil, fmt.Errorf("httpstep: reading the remembered test values: %w", err)
	}
	if err := json.Unmarshal(data, &m.nodes); err != nil {
		return nil, fmt.Errorf("httpstep: %s is not a JSON object of test values (%v): delete it, or run test -fresh", path, err)
	}
	return m, nil
}

// values returns the remembered values of node, never nil.
func (m *memory) values(node string) map[string]string {
	if m.nodes[node] == nil {
		m.nodes[node] = map[string]string{}
	}
	return m.nodes[node]
}

// forget drops everything remembered for node.
func (m *memory) forget(node string) { delete(m.nodes, node) }

// save writes the memory atomically, readable by the user only.
func (m *memory) save() error {
	for k, v := range m.nodes {
		if len(v) == 0 {
			delete(m.nodes, k)
		}
	}
	data, err := json.MarshalIndent(m.nodes, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(m.path), 0o700); err != nil {
		return fmt.Errorf("httpstep: remembering test values: %w", err)
	}
	return writeFileAtomic(m.path, append(data, '\n'), 0o600)
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path, so a reader never sees half a file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("httpstep: writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), perm)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("httpstep: writing %s: %w", path, err)
	}
	return nil
}
